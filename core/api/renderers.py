"""The API's JSON renderer: DRF's, with numbers written exactly."""

from rest_framework import renderers
from rest_framework.compat import INDENT_SEPARATORS, LONG_SEPARATORS, SHORT_SEPARATORS
from rest_framework.utils.encoders import JSONEncoder

from core.stored_json import write_json


class ExactJSONRenderer(renderers.JSONRenderer):
    """DRF's encoder turns a Decimal into a float, which rounds what DynamoDB stores
    (0.12345678901234567890123, 38-digit integers); `write_json` writes a Decimal from its own
    digits. Everything else is encoded as DRF does (its encoder's `default`)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        separators = INDENT_SEPARATORS if indent is not None else SHORT_SEPARATORS if self.compact else LONG_SEPARATORS
        # Serializers replace text that is not valid Unicode (core.display); a lone surrogate that
        # still gets here (an error message quoting stored text) is written as its JSON escape.
        text = write_json(data, default=JSONEncoder().default, indent=indent, separators=separators)
        # As DRF does: a strict JavaScript subset.
        return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()
