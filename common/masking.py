"""One masker, one mask: secrets hidden in anything opsdash shows or writes down.

    mask_secrets("psql postgres://app:pw@db:5432/app")   # "psql postgres://app:****@db:5432/app"
    mask_secrets("echo hunter22", ["hunter22"])           # literal values from --var, prompts
    is_secret_name("PGPASSWORD")                          # True: prompt without echo, mask it

Cards, error messages, the CLI, the runbook pane and the journal all go through
`mask_secrets`, so a password hidden on screen is hidden on disk too, and always the
same way: the secret part becomes `****`, the rest stays (`postgres://app:****@db/app`,
`ghp_****`, `--password ****`), so a timeline still says what was run where.

What is found:
- URLs with userinfo (`scheme://user:PW@host`), any scheme, `@` inside the password too;
- `NAME=value`, `NAME = value`, `name: value`, `"name": "value"` (env assignments, DSN
  keywords, query parameters, headers, YAML/JSON) when `is_secret_name(NAME)`; values
  may be quoted (with backslash escapes);
- `Authorization:` / `Proxy-Authorization:` headers, the scheme word kept;
- flags: `--NAME value`/`--NAME=value` for secret names (`--password`, `--token`,
  `--client-secret`, `--requirepass`), `curl -u user:PW`/`--user user:PW`,
  `redis-cli -a PW`, `mysql -pPW`, `docker|podman login -p PW`, `sshpass -p PW`,
  `htpasswd -b [file] user PW`;
- token shapes, after detect-secrets' plugins (the patterns are taken by hand, see
  below): GitHubTokenDetector (`ghp_ gho_ ghu_ ghs_ ghr_`, plus `github_pat_`),
  SlackDetector (`xox[abposr]-` tokens, `hooks.slack.com/services/T../B../SECRET`),
  AWSKeyDetector (`AKIA`/`ASIA`/`ABIA`/`ACCA`/`A3T.` key ids), JwtTokenDetector
  (`eyJ..`.`eyJ..`.sig), PrivateKeyDetector (whole `BEGIN ... PRIVATE KEY` blocks),
  StripeDetector (`sk_live_`, `rk_live_`), GitLab `glpat-`, npm `npm_`, SendGrid `SG.`.

detect-secrets itself is not a dependency: it reports a line's secret values, not their
spans (its GitHub plugin even reports just the `ghp` group), its entropy plugins flag
ordinary words, and loading its scanner costs about 0.24 s; these regexes mask in place.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

MASK = "****"

# -- the one word list: is a variable, flag, header or parameter of this name a secret ------

# anywhere in a word: PGPASSWORD, DB_PASSWD, GITHUB_TOKEN, clientSecret, X-Amz-Signature
_STRONG = ("password", "passwd", "passphrase", "secret", "token", "apikey", "accesskey",
           "privatekey", "secretkey", "credential", "signature", "requirepass", "masterauth",
           "sslpassword")
# only as the last word: SSH_KEY, DB_PASS, REDISCLI_AUTH, MYSQL_PWD, sig, X-Api-Key
_LAST = frozenset({"key", "pass", "pwd", "pw", "auth", "sig", "pat", "cookie"})
# a name that ends with one of these is *about* a secret, not one: TOKEN_URL, PASSWORD_FILE
_BENIGN_LAST = frozenset({"url", "uri", "file", "path", "dir", "type", "name", "names",
                          "endpoint", "length", "len", "ttl", "expiry", "expires",
                          "expiration", "mode", "header", "enabled", "required", "stdin",
                          "prompt", "id", "count", "min", "max", "policy"})
# the shell's working directories, not passwords
_NOT_SECRET = frozenset({"pwd", "oldpwd"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+")


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """True when a variable, flag, header or parameter called `name` holds a secret.

    The one word list behind masking `NAME=value`, `--name value` and `?name=value`, and
    behind prompting without echo, so what is hidden while typed is hidden when shown.
    Cached: the masker asks about every `word=` in every output line, and names repeat.
    """
    words = [w for w in _WORD_SPLIT.split(_CAMEL.sub("_", name).lower()) if w]
    if not words or "".join(words) in _NOT_SECRET:
        return False
    last = words[-1]
    if last in _LAST:
        return True
    if last in _BENIGN_LAST:
        return False
    return any(strong in word for word in words for strong in _STRONG)


# -- patterns -----------------------------------------------------------------------------

_QUOTED = r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'"
_VALUE = rf"(?:{_QUOTED}|[^\s'\"]+)"  # a shell word: quoted, or up to the next space
_UNTIL_SPACE = r"[^\s'\"]+"


def _quoted_mask(value: str) -> str:
    """A quoted value keeps its quotes, so a masked command or JSON still reads as one."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[0] + MASK + value[0]
    return MASK


def _private_key(m: re.Match[str]) -> str:
    if not m.group(0)[len(m.group(1)):].strip():
        return m.group(0)  # a BEGIN line and nothing after it: nothing to hide yet
    return f"{m.group(1)}\n{MASK}\n{m.group(2) or ''}".rstrip("\n")


# not a secret but the shell's: a redirection or operator, or a variable's name ($DB_PASS)
_NOT_A_VALUE = re.compile(r"[<>|&;]|--|\$\{?\w+\}?$|[\"']\$\{?\w+\}?[\"']$")


def _assignment_ok(name: str, value: str) -> bool:
    # Authorization has its own pattern, which keeps the scheme word readable
    return (name.lower() not in ("authorization", "proxy-authorization") and MASK not in value
            and not _NOT_A_VALUE.match(value))


def _flag_ok(name: str, value: str) -> bool:
    return not _NOT_A_VALUE.match(value)


class _Named:
    """`head` names a thing, `value` follows it; masked when the name is a secret's.

    A head whose name is not a secret consumes only itself, never its value, so
    `URL=https://h/?token=x` and `--url https://h/?token=x` still find the token inside.
    """

    def __init__(self, head: str, value: str, ok: Callable[[str, str], bool]) -> None:
        self.head = re.compile(head)
        self.value = re.compile(value)
        self.ok = ok

    def __call__(self, text: str) -> str:
        parts: list[str] = []
        done = pos = 0
        while (m := self.head.search(text, pos)) is not None:
            pos = m.end()
            name = m.group("name")
            v = self.value.match(text, pos) if is_secret_name(name) else None
            if v is None or not self.ok(name, v.group(0)):
                continue
            parts += [text[done:pos], _quoted_mask(v.group(0))]
            done = pos = v.end()
        return "".join(parts) + text[done:] if parts else text


def _htpasswd(m: re.Match[str]) -> str:
    """`htpasswd -b file user PW` / `-nb user PW`: the password is the last positional."""
    args = m.group("args").split()
    flags = "".join(a[1:] for a in args if a.startswith("-"))
    positional = [i for i, a in enumerate(args) if not a.startswith("-")]
    wanted = 2 if "n" in flags else 3
    if "b" not in flags or len(positional) < wanted:
        return m.group(0)
    args[positional[wanted - 1]] = MASK
    return m.group("cmd") + " " + " ".join(args)


# scheme://user:PASSWORD@host; greedy, so a password with an `@` in it is hidden whole
_URL_USERINFO = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@'\"]*:)([^\s/?#'\"]+)(@)")

_Replacement = str | Callable[[re.Match[str]], str]
#: (guard, pattern, replacement) in order; a pattern runs only when one of its guard's
#: literals is in the text (most output lines then cost a few `in` tests, not 20 scans);
#: a _Named pattern is called, the others re.sub'ed
_PATTERNS: list[tuple[tuple[str, ...], re.Pattern[str] | _Named, _Replacement]] = [
    # PrivateKeyDetector: the whole block, also one cut short (an output tail)
    (("PRIVATE KEY",),
     re.compile(r"(-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)[\s\S]*?"
                r"(-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)"), _private_key),
    # BasicAuthDetector: scheme://user:PASSWORD@host
    (("://",), _URL_USERINFO, r"\1" + MASK + r"\3"),
    # SlackDetector webhook: the workspace and channel ids stay, the secret goes
    (("hooks.slack.com",),
     re.compile(r"(hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/)[A-Za-z0-9_]+"),
     r"\1" + MASK),
    # Authorization / Proxy-Authorization headers: the scheme word stays
    (("uthorization", "UTHORIZATION"),
     re.compile(r"(?i)(\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?"
                r"(?:(?:bearer|basic|token|negotiate|ntlm)\s+)?)"
                r"((?:digest|aws4-hmac-sha256)\s[^'\"\n]+|[^\s'\"]+)"),
     r"\1" + MASK),
    # curl -u user:PW, --user user:PW, -uuser:PW (a bare user prompts: nothing to hide)
    (("-u",), re.compile(r"((?<!\S)(?:-u\s*|--user(?:=|\s+))[\"']?[^\s:'\"]*:)(?!//)([^\s'\"]+)"),
     r"\1" + MASK),
    # redis-cli -a PW; docker/podman login -p PW; sshpass -p PW
    (("redis-cli",), re.compile(r"(\bredis-cli\b[^\n|;&]*?\s-a\s*)(" + _VALUE + ")"), r"\1" + MASK),
    (("login",),
     re.compile(r"(\b(?:docker|podman|nerdctl|buildah|skopeo|helm\s+registry)\s+login\b"
                r"[^\n|;&]*?\s-p\s*)(" + _VALUE + ")"), r"\1" + MASK),
    (("sshpass",), re.compile(r"(\bsshpass\b[^\n|;&]*?\s-p\s*)(" + _VALUE + ")"), r"\1" + MASK),
    # mysql -pPW (attached only: `-p name` is a prompt and a database name)
    (("mysql",),
     re.compile(r"(\bmysql(?:dump|admin|sh|import|check)?\b[^\n|;&]*?\s-p)(" + _VALUE + ")"),
     r"\1" + MASK),
    (("htpasswd",), re.compile(r"(?P<cmd>\bhtpasswd)(?P<args>(?:[ \t]+[^\s|;&]+)+)"), _htpasswd),
    # --NAME value / --NAME=value, for secret names
    (("--",), _Named(r"(?<![\w-])--(?P<name>[A-Za-z][\w-]*)(?:=|[ \t]+)", _VALUE, _flag_ok), ""),
    # NAME=value, NAME = value, name: value, "name": "value", ?name=value& ; a `:` needs a
    # space or a quote after it, so `https://` and `host:port` are not assignments
    (("=", ":"),
     _Named(r"(?<![\w.-])(?P<q>[\"']?)(?P<name>[A-Za-z_][\w.-]*)(?P=q)"
            r"[ \t]*(?:=|:(?=[ \t\"']))[ \t]*",
            _QUOTED + r"|[^\s&;,'\"}\]]+", _assignment_ok), ""),
    # token shapes (detect-secrets: GitHubTokenDetector, StripeDetector, ... see above)
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
     re.compile(r"\b(gh[pousr]_)[A-Za-z0-9_]{36,255}\b"), r"\1" + MASK),
    (("github_pat_",), re.compile(r"\b(github_pat_)[A-Za-z0-9_]{22,255}\b"), r"\1" + MASK),
    (("xox",), re.compile(r"\b(xox[abposr]-)[A-Za-z0-9-]{10,}"), r"\1" + MASK),
    (("AKIA", "ASIA", "ABIA", "ACCA", "A3T"),
     re.compile(r"\b((?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA))[A-Z0-9]{16}\b"), r"\1" + MASK),
    (("eyJ",),
     re.compile(r"\beyJ[A-Za-z0-9_-]{2,}={0,2}\.eyJ[A-Za-z0-9_-]{2,}={0,2}\.[A-Za-z0-9_-]*"),
     MASK),
    (("_live_",), re.compile(r"\b((?:sk|rk)_live_)[A-Za-z0-9]{20,}"), r"\1" + MASK),
    (("glpat-",), re.compile(r"\b(glpat-)[A-Za-z0-9_-]{20,}"), r"\1" + MASK),
    (("npm_",), re.compile(r"\b(npm_)[A-Za-z0-9]{36}\b"), r"\1" + MASK),
    (("SG.",), re.compile(r"\b(SG\.)[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"), r"\1" + MASK),
]


def mask_secrets(text: str, values: Iterable[str] = ()) -> str:
    """`text` with every secret replaced by ****; `values` are literal secrets to hide too.

    Literal values (four characters or more, so `a` does not blank every word) go first,
    longest first, so a value that contains another is hidden whole.
    """
    for value in sorted({v for v in values if len(v) >= 4}, key=len, reverse=True):
        text = text.replace(value, MASK)
    return _mask_cached(text) if len(text) <= _CACHE_UP_TO else _mask_patterns(text)


_CACHE_UP_TO = 1024  # short strings only: 512 cached megabyte bodies would be a leak


def _mask_patterns(text: str) -> str:
    for guards, pattern, repl in _PATTERNS:
        if not any(g in text for g in guards):
            continue
        text = pattern(text) if isinstance(pattern, _Named) else pattern.sub(repl, text)
    return text


# a card's target or a repeated log line is masked once, not on every poll
_mask_cached = functools.lru_cache(maxsize=512)(_mask_patterns)


_KEY_BEGIN = re.compile(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_KEY_END = re.compile(r"-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")


class LineMasker:
    """mask_secrets for a stream read a line at a time (step output, an output tail).

    A private key printed by `cat id_rsa` arrives as lines of base64 that say nothing on
    their own; this remembers that a BEGIN line opened a block and masks every line up
    to its END. One instance per stream.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        self.values = list(values)
        self._in_key = False

    def __call__(self, line: str) -> str:
        if self._in_key:
            end = _KEY_END.search(line)
            if end is None:
                return MASK
            self._in_key = False
            return mask_secrets(line[end.start():], self.values)
        begin = _KEY_BEGIN.search(line)
        if begin is not None and _KEY_END.search(line, begin.end()) is None:
            self._in_key = True
            return mask_secrets(line[:begin.start()], self.values) + begin.group(0)
        return mask_secrets(line, self.values)


def secret_values(variables: dict[str, str]) -> list[str]:
    """Values of variables whose names say they are secret, and passwords inside URLs,
    so the literal value is masked wherever it turns up later (a command, its output)."""
    found: list[str] = []
    for name, value in variables.items():
        if is_secret_name(name):
            found.append(value)
        found.extend(m.group(2) for m in _URL_USERINFO.finditer(value))
    return found


# The names panels and the config loader have always called; the same masker underneath.
mask_url = mask_credentials = mask_dsn = mask_secrets
