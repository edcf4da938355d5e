"""The one rule that turns an artifact name (or a `?name=` query) into `name_normalized`."""

import unicodedata

MAX_NAME_LENGTH = 200


def normalize_name(text: str) -> str:
    """Unicode NFKC, then casefold (and NFKC again, as casefolding can undo it); every run of
    characters that are not letters, marks or digits becomes one hyphen; hyphens are trimmed.

    "BERT Base_Uncased (v2)" -> "bert-base-uncased-v2"; "Ｗｈｉｓｐｅｒ" -> "whisper";
    "提示词 工程" -> "提示词-工程". A query normalized this way matches a stored name as a substring,
    so "base uncased" finds "bert-base-uncased".
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    kept = [char if unicodedata.category(char)[0] in "LMN" else " " for char in folded]
    return "-".join("".join(kept).split())
