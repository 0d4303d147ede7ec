"""Notifications: alerts handed to a shell command and a webhook, each exactly once.

`outbox` decides (pure): which alerts a channel owes, in one run or a
digest, what a delivery in flight when desk stopped came to, the back-off
between tries. `command` and `webhook` do the I/O at the edge (a process,
an HTTP POST); `deliver` runs one round of both after a poll cycle stored
its alerts. Each channel's record lives in the store (`outbox-NAME.json`).
"""
