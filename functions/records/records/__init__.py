"""Records (기록물철 → 기록물건 → components): files filed under a unit task, their items, access
classification (공개구분), retention and disposal due dates, where their boxes are, and bulk registration."""
