"""A refusal: a stable reason code for the log and a Chinese message for the officer."""

import logging

log = logging.getLogger("app.refusals")


class Refused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def refuse(code: str, message: str) -> Refused:
    log.warning("refused %s: %s", code, message)
    return Refused(code, message)
