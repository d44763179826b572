"""Classification's table: the scheme's head, its versions, their nodes and publishing receipts."""
