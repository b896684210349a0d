"""What each kind of center does, for the demo history: shares, sizes, places, catalogue.

Plain tables, no Django. A center's *family* (pesca, acuicultura, agro, cuero, textil, madera,
servicios) is read from its name and chains and decides its mix of service categories, its
clients and its demo catalogue.
"""

from datetime import date

from citesmart.lib.text import fold

# Service categories (network/reference.py codes).
AT, CAP, CERT, DIS, LAB, INFO, IDI, SOP = (
    "asistencia-tecnica",
    "capacitacion",
    "certificacion-competencias",
    "diseno-desarrollo",
    "ensayos-laboratorio",
    "informacion-tecnologica",
    "idi",
    "soporte-productivo",
)

# Share of *services* per category (a training of 20 units is 20 services).
CATEGORY_MIX: dict[str, dict[str, float]] = {
    "pesca": {LAB: 42, CAP: 22, AT: 18, SOP: 10, DIS: 3, INFO: 3, IDI: 2},
    "acuicultura": {LAB: 30, AT: 25, CAP: 25, SOP: 14, INFO: 3, IDI: 3},
    "agro": {LAB: 32, CAP: 26, AT: 20, SOP: 12, DIS: 5, INFO: 3, IDI: 2},
    "cuero": {CAP: 34, AT: 22, DIS: 16, CERT: 11, SOP: 8, LAB: 6, INFO: 2, IDI: 1},
    "textil": {CAP: 36, AT: 22, DIS: 16, CERT: 10, SOP: 8, LAB: 6, INFO: 1, IDI: 1},
    "madera": {CAP: 33, AT: 24, DIS: 14, CERT: 10, SOP: 11, LAB: 6, INFO: 1, IDI: 1},
    "servicios": {CAP: 38, AT: 30, INFO: 12, IDI: 10, DIS: 5, LAB: 5},
}

# Relative size of a center in 2025 services, before calibration (public CITEs by family).
FAMILY_WEIGHT = {
    "pesca": 2700,
    "acuicultura": 1300,
    "agro": 1900,
    "cuero": 2600,
    "textil": 2800,
    "madera": 1700,
    "servicios": 1500,
}
TECHNICAL_UNIT_WEIGHT = 750
PRIVATE_WEIGHT = 260

# Distinct units per service relative to the network (labs see many one-off clients).
POOL_FACTOR = {"pesca": 1.3, "acuicultura": 1.1, "agro": 1.2, "servicios": 1.1}

# Units per report: trainings are group activities; certification evaluates small groups.
GROUP_SIZES = {CAP: (5, 30), CERT: (2, 10)}
SMALL_GROUP_SHARE = 0.1  # other categories: one unit per report, sometimes 2-4
# Days between start and end of a report, by category.
DURATION_DAYS = {
    AT: (0, 20),
    CAP: (0, 4),
    CERT: (1, 10),
    DIS: (10, 45),
    LAB: (2, 10),
    INFO: (0, 3),
    IDI: (20, 90),
    SOP: (0, 5),
}
TRAINING_HOURS = (4, 8, 12, 16, 20, 24, 40)

# Tariff (S/) when a report does not use a catalogue service.
DEFAULT_TARIFF = {AT: 600, CAP: 80, CERT: 450, DIS: 1500, LAB: 150, INFO: 50, IDI: 3000, SOP: 350}

# Seasonality (January .. December): low January-February, mid-year and October-November peaks,
# a short December. 2020 adds the COVID lockdown.
SEASON = (0.55, 0.65, 0.9, 1.0, 1.1, 1.2, 1.15, 0.95, 0.85, 1.05, 1.05, 0.5)
COVID_2020 = (1.0, 1.0, 0.6, 0.1, 0.15, 0.35, 0.6, 0.8, 0.9, 1.0, 1.0, 1.0)

# Services of a year relative to 2025; distinct units follow services / SERVICES_PER_UNIT.
GROWTH = {
    2015: 0.25,
    2016: 0.3,
    2017: 0.35,
    2018: 0.4,
    2019: 0.45,
    2020: 0.31,
    2021: 0.52,
    2022: 0.68,
    2023: 0.82,
    2024: 0.92,
    2025: 1.0,
}
SERVICES_PER_UNIT = {2020: 4.2, 2021: 5.0, 2022: 5.5, 2023: 5.8, 2024: 6.2}
DEFAULT_SERVICES_PER_UNIT = 5.2
RETURNING_SHARE = 0.4  # share of a center's clients of a year already served in earlier years
CROSS_CENTER_SHARE = 0.03  # services given to clients of another center the same year

# Young centers are still growing: a fraction of their family's size.
WEIGHT_FACTOR = {
    "citeagroindustrial-huallaga": 0.6,
    "citetextil-camelidos-huancavelica-pilpichaca": 0.35,
    "cite-cuero-y-calzado-junin-san-jeronimo-de-tunan": 0.4,
}

# Centers that started within the history (codes from network/reference.py center_code()).
STARTS = {
    "citeagroindustrial-huallaga": date(2023, 2, 1),
    "citetextil-camelidos-huancavelica-pilpichaca": date(2023, 4, 1),
    "cite-cuero-y-calzado-junin-san-jeronimo-de-tunan": date(2024, 6, 1),
    "unidad-tecnica-tacna-citeagroindustrial-moquegua": date(2025, 4, 1),
}

# ITP client types (units.models.ClientType) by family; "informal" = emprendedor without document.
CLIENT_MIX: dict[str, dict[str, float]] = {
    "default": {
        "persona_natural_negocio": 36,
        "empresa_formal": 26,
        "asociacion_cooperativa": 9,
        "emprendedor": 23,
        "academia": 1.5,
        "otros": 1.5,
        "informal": 3,
    },
    "pesca": {
        "persona_natural_negocio": 30,
        "empresa_formal": 36,
        "asociacion_cooperativa": 10,
        "emprendedor": 18,
        "academia": 2,
        "otros": 1,
        "informal": 3,
    },
    "textil": {
        "persona_natural_negocio": 30,
        "empresa_formal": 14,
        "asociacion_cooperativa": 16,
        "emprendedor": 31,
        "academia": 1,
        "otros": 2,
        "informal": 6,
    },
    "servicios": {
        "persona_natural_negocio": 30,
        "empresa_formal": 40,
        "asociacion_cooperativa": 6,
        "emprendedor": 16,
        "academia": 5,
        "otros": 1,
        "informal": 2,
    },
}

# Where clients of centers without a seat department come from (department names).
PLACE_HINTS = {
    "vraem": ("Ayacucho", "Cusco", "Junín", "Huancavelica", "Apurímac"),
    "danper": ("La Libertad", "Lambayeque", "Piura"),
    "cedepas": ("Cajamarca", "La Libertad", "Piura", "Lambayeque"),
    "cecovasa": ("Puno",),
    "perhusa": ("Cajamarca", "San Martín", "Amazonas", "Junín"),
    "upch": ("Lima", "San Martín", "Piura", "Puno"),
    "san fernando": ("Lima", "La Libertad", "Ica", "Arequipa"),
    "ayuda que vale oro": ("Puno", "Arequipa", "Ayacucho", "Madre de Dios"),
    "cetemin": ("Lima", "Arequipa", "Cajamarca", "La Libertad", "Pasco"),
}
CHAIN_PLACES = {
    "cafe": ("Junín", "Cajamarca", "San Martín", "Cusco", "Amazonas", "Puno", "Pasco"),
    "cacao": ("San Martín", "Cusco", "Huánuco", "Junín", "Ucayali", "Amazonas", "Ayacucho"),
    "papa": ("Huánuco", "Puno", "Cusco", "Junín", "Cajamarca", "Huancavelica", "Apurímac"),
    "agropecuario": ("Cajamarca", "La Libertad", "Piura", "Lambayeque"),
}
DEFAULT_PLACES = (
    "Lima",
    "Lima",
    "Lima",
    "Arequipa",
    "La Libertad",
    "Piura",
    "Lambayeque",
    "Junín",
    "Cusco",
    "Callao",
)

# CIIU rev. 4 classes by chain code.
CIIU_BY_CHAIN = {
    "cuero": ("1511", "1512"),
    "calzado": ("1520",),
    "textil-camelidos": ("1311", "1313", "1430", "1392"),
    "fibra-de-alpaca": ("1311", "1430"),
    "madera": ("1610", "1622", "3100"),
    "mueble": ("3100",),
    "forestal": ("0220", "1610"),
    "pesca": ("0311", "1020"),
    "pesca-amazonica": ("0312", "1020"),
    "acuicultura": ("0322", "0321"),
    "agroindustria": ("1030", "1079", "1040"),
    "cafe": ("0127", "1079"),
    "cacao": ("0127", "1073"),
    "vid": ("0121", "1102"),
    "pisco": ("1101",),
    "frutas": ("0122", "1030"),
    "frutas-amazonicas": ("0122", "1030"),
    "castana": ("0230",),
    "papa": ("0113",),
    "cultivos-andinos": ("0111", "0113"),
    "mineria": ("0729", "0899"),
    "tecnologia": ("6201", "6209"),
    "industrias-creativas": ("7410", "5911"),
    "logistica": ("5210", "5229"),
}

# Demo catalogue: (category, name, unit of sale, tariff in soles) by family.
CATALOGUE: dict[str, tuple[tuple[str, str, str, int], ...]] = {
    "pesca": (
        (LAB, "Análisis fisicoquímico de productos hidrobiológicos", "por muestra", 180),
        (LAB, "Análisis microbiológico de alimentos", "por muestra", 150),
        (AT, "Asistencia técnica en buenas prácticas de manufactura y HACCP", "por servicio", 950),
        (CAP, "Curso de manipulación e higiene de productos pesqueros", "por participante", 120),
        (SOP, "Servicio de congelado y almacenamiento en cámara", "por lote", 380),
        (DIS, "Desarrollo de conservas y productos ahumados", "por producto", 1800),
    ),
    "acuicultura": (
        (LAB, "Análisis de calidad de agua para acuicultura", "por muestra", 120),
        (AT, "Asistencia técnica en manejo de cultivo de tilapia y paiche", "por servicio", 700),
        (CAP, "Curso de producción de alevinos", "por participante", 90),
        (SOP, "Reproducción inducida y provisión de alevinos", "por millar", 250),
    ),
    "agro": (
        (LAB, "Análisis fisicoquímico de alimentos", "por muestra", 160),
        (LAB, "Análisis microbiológico de alimentos", "por muestra", 150),
        (AT, "Asistencia técnica en buenas prácticas de manufactura", "por servicio", 800),
        (CAP, "Curso de procesamiento de frutas y derivados", "por participante", 100),
        (SOP, "Uso de planta piloto de procesamiento", "por hora", 180),
        (DIS, "Desarrollo de nuevos productos agroindustriales", "por producto", 1600),
    ),
    "cuero": (
        (CAP, "Curso de modelaje y patronaje de calzado", "por participante", 250),
        (
            AT,
            "Asistencia técnica en mejora de procesos de curtiembre y calzado",
            "por servicio",
            900,
        ),
        (DIS, "Diseño y desarrollo de colecciones de calzado", "por colección", 2200),
        (CERT, "Certificación de competencias laborales en aparado de calzado", "por persona", 420),
        (LAB, "Ensayos físico-mecánicos de cuero y calzado", "por ensayo", 140),
        (SOP, "Servicio de corte y aparado con maquinaria CNC", "por hora", 160),
    ),
    "textil": (
        (CAP, "Curso de tejido a máquina y acabados de prendas de alpaca", "por participante", 200),
        (AT, "Asistencia técnica en clasificación de fibra de alpaca", "por servicio", 650),
        (DIS, "Diseño y desarrollo de prendas de fibra de alpaca", "por colección", 1900),
        (CERT, "Certificación de competencias laborales en tejido a punto", "por persona", 380),
        (LAB, "Análisis de finura y longitud de fibra", "por muestra", 90),
        (SOP, "Servicio de hilado y teñido de fibra", "por kilogramo", 60),
    ),
    "madera": (
        (CAP, "Curso de diseño y fabricación de muebles", "por participante", 220),
        (AT, "Asistencia técnica en gestión de la producción de muebles", "por servicio", 850),
        (DIS, "Diseño y desarrollo de muebles y productos de madera", "por producto", 1700),
        (CERT, "Certificación de competencias laborales en carpintería", "por persona", 400),
        (LAB, "Ensayos de propiedades físico-mecánicas de la madera", "por ensayo", 210),
        (SOP, "Servicio de secado de madera en horno", "por pie tablar", 2),
    ),
    "servicios": (
        (CAP, "Taller de gestión empresarial e innovación", "por participante", 150),
        (AT, "Asistencia técnica en mejora de procesos", "por servicio", 1200),
        (INFO, "Boletín de vigilancia tecnológica", "por informe", 50),
        (IDI, "Formulación de proyectos de innovación", "por proyecto", 3500),
    ),
}
# The AECID/GIZ circular-economy and energy-efficiency programme (free services).
PROGRAMME_CODE = "economia-circular-eficiencia-energetica"
VOUCHER_PROGRAMME_CODE = "vales-mype-2020"
FREE_SERVICES = (
    (AT, "Diagnóstico de eficiencia energética en planta", "por diagnóstico"),
    (AT, "Valorización de residuos y subproductos", "por servicio"),
    (DIS, "Ecodiseño de productos y envases", "por producto"),
)
FREE_CENTERS = 12
FREE_FROM = date(2024, 7, 1)
FREE_SHARE = 0.12  # of the reports of a category with a free service, once available
VOUCHER_MONTHS = (date(2020, 7, 1), date(2021, 6, 30))
VOUCHER_SHARE = 0.25

CANCEL_REASONS = (
    "Informe duplicado",
    "Error en la fecha del servicio",
    "La unidad productiva desistió del servicio",
    "Servicio reprogramado",
    "Registrado en el centro equivocado",
)


def family_of(name: str, chain_codes: tuple[str, ...]) -> str:
    """The family of a center from its name first, then its chains."""
    folded = fold(name)
    for keyword, family in (
        ("pesquero", "pesca"),
        ("acuicola", "acuicultura"),
        ("textil", "textil"),
        ("cuero", "cuero"),
        ("ccal", "cuero"),
        ("madera", "madera"),
        ("forestal", "madera"),
    ):
        if keyword in folded:
            return family
    agro_chains = {"agroindustria", "cafe", "cacao", "papa", "agroalimentario", "agropecuario"}
    if "agro" in folded or "productivo" in folded or agro_chains & set(chain_codes):
        return "agro"
    return "servicios"


def place_hints(name: str, chain_codes: tuple[str, ...]) -> tuple[str, ...]:
    """Departments where a center without a seat department finds its clients."""
    folded = fold(name)
    for keyword, places in PLACE_HINTS.items():
        if keyword in folded:
            return places
    for chain in chain_codes:
        if chain in CHAIN_PLACES:
            return CHAIN_PLACES[chain]
    return DEFAULT_PLACES
