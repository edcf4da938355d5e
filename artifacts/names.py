"""The rules that say when two names, or two urls, are the same artifact's."""

import unicodedata
from urllib.parse import urlsplit, urlunsplit

MAX_NAME_LENGTH = 200
DEFAULT_PORTS = {"http": 80, "https": 443}


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


def normalize_url(url: str) -> str:
    """The form of a url that registering compares: scheme and host in lower case, the scheme's
    default port dropped, an empty path made "/", trailing slashes of any other path dropped,
    the fragment dropped; the path's case and the query stay as written (servers tell them apart).

    "HTTPS://HuggingFace.co:443/google-bert/bert-base-uncased/#top" ->
    "https://huggingface.co/google-bert/bert-base-uncased". A url that does not parse is kept as is.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    if port is not None and DEFAULT_PORTS.get(scheme) != port:
        host = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def url_spellings(url: str) -> list[str]:
    """The spellings under which a url may already be registered: as written, normalized, and
    normalized with a trailing slash (the url index holds urls as their writers wrote them)."""
    normalized = normalize_url(url)
    spellings = [url, normalized]
    if not normalized.endswith("/"):
        spellings.append(normalized + "/")
    return list(dict.fromkeys(spellings))
