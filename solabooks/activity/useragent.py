"""A user agent in words: "Chrome on macOS", "Safari on iOS", "curl".

Activity keeps the raw header as evidence (shown one click away); the timeline shows this
summary. A deliberately small table of the common browsers and systems, no dependency:
order matters, since most browsers also claim to be the ones before them ("Edg/" pages
say "Chrome/" and "Safari/" too).
"""

import re
from functools import lru_cache

UNKNOWN = "Unknown browser"

# (pattern, name): the first match wins.
_BROWSERS: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(pattern), name)
    for pattern, name in (
        (r"\bEdg(e|A|iOS)?/", "Edge"),
        (r"\b(OPR|Opera)/", "Opera"),
        (r"\bSamsungBrowser/", "Samsung Internet"),
        (r"\bYaBrowser/", "Yandex Browser"),
        (r"\bVivaldi/", "Vivaldi"),
        (r"\b(Firefox|FxiOS)/", "Firefox"),
        (r"\bCriOS/", "Chrome"),
        (r"\bChromium/", "Chromium"),
        (r"\bHeadlessChrome/", "Headless Chrome"),
        (r"\bChrome/", "Chrome"),
        # Every WebKit browser says "Safari/": only the ones not matched above are Safari.
        (r"\bSafari/", "Safari"),
        (r"\bMSIE |\bTrident/", "Internet Explorer"),
        (r"^curl/", "curl"),
        (r"^Wget/", "Wget"),
        (r"^python-requests/", "Python requests"),
        (r"^python-httpx/", "Python httpx"),
        (r"^HTTPie/", "HTTPie"),
        (r"^PostmanRuntime/", "Postman"),
        (r"(?i)\b(bot|crawler|spider)\b", "A bot"),
    )
)
_SYSTEMS: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(pattern), name)
    for pattern, name in (
        (r"\bWindows Phone\b", "Windows Phone"),
        (r"\bWindows\b", "Windows"),
        (r"\b(iPhone|iPad|iPod)\b", "iOS"),
        (r"\bAndroid\b", "Android"),
        (r"\bCrOS\b", "ChromeOS"),
        (r"\b(Macintosh|Mac OS X)\b", "macOS"),
        (r"\bUbuntu\b", "Ubuntu"),
        (r"\b(Linux|X11)\b", "Linux"),
    )
)


@lru_cache(maxsize=512)
def summarize_user_agent(user_agent: str) -> str:
    """ "Chrome on macOS"; the browser alone when the system is not named; "Unknown
    browser" for anything else (the raw header stays on the Activity row)."""
    text = (user_agent or "").strip()
    if not text:
        return ""
    browser = next((name for pattern, name in _BROWSERS if pattern.search(text)), None)
    system = next((name for pattern, name in _SYSTEMS if pattern.search(text)), None)
    if browser is None:
        return f"{UNKNOWN} on {system}" if system else UNKNOWN
    return f"{browser} on {system}" if system else browser
