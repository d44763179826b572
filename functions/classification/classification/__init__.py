"""Classification (분류체계, 기록관리기준표): an organisation's versioned classification scheme —
functions → sub-functions → unit tasks (단위과제) — with each unit task's disposal rule."""
