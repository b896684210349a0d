"""Static files compressed in demo mode too (issue 19).

In production (DEBUG off) collectstatic writes hashed, gzip-compressed files to STATIC_ROOT and
whitenoise serves them. In demo and development mode (DEBUG on, `make demo`) the storage is
whitenoise's non-manifest compressing one, so collectstatic writes `portal.css.gz` beside
`portal.css`; but whitenoise in DEBUG looks up the apps' own folders first (its "finders"),
where there is no `.gz`, and would send every file uncompressed.

`StaticFilesMiddleware` is whitenoise's middleware that, in that mode, answers from
STATIC_ROOT when its copy is at least as new as the app's file (whitenoise then sends the
`.gz` or `.br` copy to a browser that accepts it), and from the app's folder otherwise: a
file edited after the last collectstatic is served as edited, and a checkout that never ran
collectstatic still has its styles.
"""

import os

from django.contrib.staticfiles import finders
from whitenoise.base import WhiteNoise
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    def candidate_paths_for_url(self, url: str):
        if not (self.use_finders and url.startswith(self.static_prefix)):
            yield from super().candidate_paths_for_url(url)
            return
        source = finders.find(url[len(self.static_prefix) :])
        collected = [p for p in WhiteNoise.candidate_paths_for_url(self, url) if _is_file(p)]
        if source and collected and not _newer(source, collected[0]):
            yield collected[0]
        if source:
            yield source
        yield from collected


def _is_file(path: str) -> bool:
    return os.path.isfile(path)


def _newer(path: str, than: str) -> bool:
    return os.stat(path).st_mtime > os.stat(than).st_mtime
