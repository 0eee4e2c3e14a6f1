"""Business rules of the independent-approval system.

Plain Python over SQLModel sessions: nothing here imports Reflex, so every rule is
tested directly and fast (tests/unit). Pages and states only call into this package.
"""
