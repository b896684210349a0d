"""A record's key for cell-key perturbation (analytics.cellkey): a keyed hash of the
service id in [0, P), computed in SQL from a secret (conf.cell_key_secret), and its natural
bit. Both are computed once per fact row when it is written (schema.enrich_sql: the
`record_key` and `natural_bit` columns); the cube (analytics.cube) keeps each cell's sum."""

import hashlib
import hmac

from citesmart.analytics import conf

P = 2_147_483_647  # record keys are below this prime (2^31 - 1)


def fingerprint() -> str:
    """A public trace of the secret the keys come from (not the secret): a generation whose
    keys came from another secret is rebuilt whole (refresh.refresh), never mixed. Changing
    the secret moves every perturbed figure: anyone who kept the old ones could average."""
    return hmac.new(conf.cell_key_secret(), b"fingerprint", hashlib.sha256).hexdigest()[:16]


def _coefficients() -> tuple[int, ...]:
    digest = hmac.new(conf.cell_key_secret(), b"record-key", hashlib.sha256).digest()
    values = [int.from_bytes(digest[i : i + 8], "big") % P for i in range(0, 32, 8)]
    return max(values[0], 1), values[1], max(values[2], 1), values[3]


# One bit of 64 per natural person (by unit id): the bits set in a cell are a lower bound of
# its distinct natural persons, which is all the disclosure rule needs to err on the safe side.
NATURAL_BIT = "CASE WHEN is_natural THEN 1::UBIGINT << (unit_id % 64)::INTEGER ELSE 0::UBIGINT END"


def record_key_sql(service_id: str = "service_id") -> str:
    """The SQL of a fact row's record key: an affine map mod P, a xor-shift, another map."""
    a, b, c, d = _coefficients()
    first = f"((({service_id} % {P}) * {a} + {b}) % {P})"
    return f"(((xor({first}, {first} >> 11)) * {c} + {d}) % {P})"
