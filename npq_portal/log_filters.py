"""Logging filters: the last line of defence against personal data in the logs."""

import logging
import re

# Loose on purpose: anything shaped like an address is blanked, valid or not.
EMAIL_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
REDACTED = "[email redacted]"


class RedactEmailAddresses(logging.Filter):
    """Replace every email address in a record (its message, arguments and traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if EMAIL_ADDRESS.search(message):
            record.msg = EMAIL_ADDRESS.sub(REDACTED, message)
            record.args = ()
        if record.exc_info and not record.exc_text:
            # Formatted here so the redacted text is what the handler's formatter writes.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = EMAIL_ADDRESS.sub(REDACTED, record.exc_text)
        return True
