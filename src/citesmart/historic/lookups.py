"""Recognising what ITP wrote: a CITE's name, a service subcategory, a client type.

Loaded once per file (a few queries), then every row is looked up in memory. Each lookup
raises ValueError with the Spanish reason the loader puts after "fila N, columna X:".
"""

import difflib
import re

from django.utils.translation import gettext as _

from citesmart.lib.text import fold, fold_key
from citesmart.network.models import Center, CenterName, ServiceCategory
from citesmart.units.models import ClientType

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_PARENTHESIS = re.compile(r"\([^)]*\)")
_PREFIX_WORDS = (("unidad", "tecnica"), ("ut",), ("cite",), ("privado",))


def center_key(text: str) -> str:
    """ "CITEagroindustrial MOQUEGUA", "Cite Agroindustrial Moquegua" -> "agroindustrialmoquegua".

    Accents, case, spaces and punctuation are ignored, and so are the prefixes ITP writes
    or leaves out: "CITE", "UT" / "Unidad Técnica", "Privado".
    """
    words = fold(text).replace("-", " ").split()
    changed = True
    while changed and words:
        changed = False
        for prefix in _PREFIX_WORDS:
            if tuple(words[: len(prefix)]) == prefix and len(words) > len(prefix):
                words, changed = words[len(prefix) :], True
    joined = _NOT_ALNUM.sub("", "".join(words))
    for prefix in ("cite", "ut"):  # glued: "CITEagroindustrial", "UTagroindustrial"
        if joined.startswith(prefix) and len(joined) > len(prefix) + 3:
            joined = joined[len(prefix) :]
    return joined


class CenterIndex:
    """Every name a center is known by (code, current name, name history) -> center."""

    def __init__(self) -> None:
        self.by_key: dict[str, dict[int, Center]] = {}
        self.names: dict[str, str] = {}  # key -> a name to suggest
        centers = {c.pk: c for c in Center.objects.all()}
        for center in centers.values():
            self._add(center.name, center)
            self._add(center.code, center)
        for name in CenterName.objects.all():
            self._add(name.name, centers[name.center_id])

    def _add(self, text: str, center: Center) -> None:
        # "Unidad Técnica Tacna (CITEagroindustrial Moquegua)" is also "UT Tacna".
        for variant in {text, _PARENTHESIS.sub(" ", text)}:
            key = center_key(variant)
            if key:
                self.by_key.setdefault(key, {})[center.pk] = center
                self.names.setdefault(key, center.name)

    def find(self, text: str) -> Center:
        key = center_key(text)
        found = list(self.by_key.get(key, {}).values())
        if len(found) == 1:
            return found[0]
        if found:
            names = ", ".join(f"«{c.name}»" for c in sorted(found, key=lambda c: c.name))
            raise ValueError(
                _("«%(text)s» puede ser %(names)s; escriba el nombre completo del centro.")
                % {"text": text, "names": names}
            )
        close = difflib.get_close_matches(key, list(self.names), n=3, cutoff=0.6)
        hint = ", ".join(f"«{self.names[k]}»" for k in close)
        message = _("no hay ningún centro «%(text)s» en el registro") % {"text": text}
        if hint:
            message += _("; los nombres más parecidos son %(names)s") % {"names": hint}
        raise ValueError(message + _(". Escriba el nombre del centro como figura en el registro."))


class CategoryIndex:
    """Service subcategories by code, name, or the name's parts ("I+D+i")."""

    def __init__(self) -> None:
        self.by_key: dict[str, ServiceCategory] = {}
        self.categories = list(ServiceCategory.objects.all())
        for category in self.categories:
            names = [category.code, category.name, *re.split(r"[()]", category.name)]
            for name in names:
                if fold_key(name):
                    self.by_key.setdefault(fold_key(name), category)

    def find(self, text: str) -> ServiceCategory:
        found = self.by_key.get(fold_key(text))
        if found is None:
            names = "; ".join(c.name for c in self.categories)
            raise ValueError(
                _("«%(text)s» no es una subcategoría de servicio; use una de: %(names)s")
                % {"text": text, "names": names}
            )
        return found


# ITP's older client types map to the nearest current one (docs/ARCHITECTURE.md, historic):
# every size of enterprise was a formal enterprise; a natural person who came to a CITE was
# doing business (the current "persona natural con negocio").
OLDER_CLIENT_TYPES = {
    "granempresa": ClientType.FORMAL_ENTERPRISE,
    "medianaempresa": ClientType.FORMAL_ENTERPRISE,
    "pequenaempresa": ClientType.FORMAL_ENTERPRISE,
    "microempresa": ClientType.FORMAL_ENTERPRISE,
    "empresa": ClientType.FORMAL_ENTERPRISE,
    "personanatural": ClientType.NATURAL_PERSON_BUSINESS,
    "asociacion": ClientType.ASSOCIATION,
    "cooperativa": ClientType.ASSOCIATION,
}
CLIENT_TYPES = {
    **OLDER_CLIENT_TYPES,
    **{fold_key(str(choice.label)): choice.value for choice in ClientType},
    **{fold_key(choice.value): choice.value for choice in ClientType},
    "asociacioncooperativa": ClientType.ASSOCIATION,
}


def client_type(text: str) -> str:
    found = CLIENT_TYPES.get(_NOT_ALNUM.sub("", fold_key(text)))
    if found is None:
        names = "; ".join(str(choice.label) for choice in ClientType)
        raise ValueError(
            _("«%(text)s» no es un tipo de cliente; use uno de: %(names)s")
            % {"text": text, "names": names}
        )
    return str(found)
