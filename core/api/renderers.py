"""The API's JSON renderer: DRF's, with numbers written exactly."""

import simplejson
from rest_framework import renderers
from rest_framework.compat import INDENT_SEPARATORS, LONG_SEPARATORS, SHORT_SEPARATORS
from rest_framework.utils.encoders import JSONEncoder


class ExactJSONRenderer(renderers.JSONRenderer):
    """DRF's encoder turns a Decimal into a float, which rounds what DynamoDB stores
    (0.12345678901234567890123, 38-digit integers); simplejson writes a Decimal from its own digits.
    Everything else is encoded as DRF does (its encoder's `default`)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        separators = INDENT_SEPARATORS if indent is not None else SHORT_SEPARATORS if self.compact else LONG_SEPARATORS
        text = simplejson.dumps(
            data,
            default=JSONEncoder().default,
            use_decimal=True,
            indent=indent,
            ensure_ascii=self.ensure_ascii,
            allow_nan=not self.strict,
            separators=separators,
        )
        # As DRF does: a strict JavaScript subset.
        text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
        # Serializers replace text that is not valid Unicode (core.display); a lone surrogate that
        # still gets here (an error message quoting stored text) is written as its JSON escape
        # rather than failing the response.
        return text.encode("utf-8", "backslashreplace")
