"""Plausible Peruvian person names and Spanish business names for demo productive units."""

import random

MALE = (
    "Juan", "José", "Luis", "Carlos", "Jorge", "Miguel", "Víctor", "César", "Pedro", "Walter",
    "Julio", "Raúl", "Edwin", "Wilber", "Freddy", "Hugo", "Alberto", "Javier", "Richard",
    "Marco", "Percy", "Roberto", "Rubén", "Hernán", "Néstor", "Teodoro", "Saúl", "Alex",
    "Elmer", "Fidel", "Gregorio", "Ángel", "Marcos", "Abel", "Segundo", "Daniel",
)  # fmt: skip
FEMALE = (
    "María", "Rosa", "Carmen", "Ana", "Juana", "Luz", "Elena", "Julia", "Gladys", "Norma",
    "Yolanda", "Martha", "Isabel", "Lucía", "Rocío", "Maribel", "Flor", "Nelly", "Sonia",
    "Patricia", "Milagros", "Roxana", "Delia", "Teresa", "Marleny", "Yeni", "Eva", "Silvia",
    "Beatriz", "Doris", "Hilda", "Susana", "Elizabeth", "Vilma", "Edith", "Liliana",
)  # fmt: skip
SURNAMES = (
    "Quispe", "Mamani", "Huamán", "Flores", "Rodríguez", "García", "Sánchez", "Ramos",
    "Torres", "Chávez", "Vásquez", "Condori", "Mendoza", "Gutiérrez", "Ccama", "Apaza",
    "Ticona", "Choque", "Cruz", "Rojas", "Castillo", "Díaz", "Espinoza", "Vargas", "Ramírez",
    "Salazar", "Paredes", "Huanca", "Pari", "Yupanqui", "Ayala", "Cárdenas", "Cusi",
    "Huillca", "Layme", "Pérez", "López", "Gonzales", "Romero", "Herrera", "Medina", "Aguilar",
    "Silva", "Córdova", "Villanueva", "Alvarado", "Cabrera", "Ríos", "Chambi", "Cahuana",
    "Coaquira", "Inga", "Taipe", "Lozano", "Zapata", "Saavedra", "Tello", "Ñaupari",
    "Carhuamaca", "Tafur", "Pizarro", "Cueva", "Reátegui", "Panduro", "Arévalo", "Vela",
)  # fmt: skip

PLACE_WORDS = (
    "Santa Rosa", "San Martín", "Ayni", "Inti", "Wayra", "Los Andes", "del Sur", "del Norte",
    "El Porvenir", "Killa", "Sumaq", "La Esperanza", "Señor de los Milagros", "San Pedro",
    "Virgen de la Candelaria", "Nueva Era", "Amanecer", "Pachamama", "Mi Perú", "Tawa",
    "San Judas Tadeo", "Los Incas", "Illari", "Qhapaq", "Selva Verde", "El Dorado", "Mishki",
    "Rumi", "San Francisco", "Nazareno", "Kuntur", "Munay", "Santa Clara", "Valle Sagrado",
)  # fmt: skip
TRADES = {
    "cuero": ("Calzados", "Curtiembre", "Manufacturas de Cuero", "Calzado"),
    "calzado": ("Calzados", "Industria del Calzado"),
    "textil-camelidos": ("Textiles", "Tejidos", "Confecciones", "Hilanderías"),
    "fibra-de-alpaca": ("Textiles", "Alpaca", "Tejidos"),
    "madera": ("Maderera", "Carpintería", "Muebles", "Industrias de la Madera"),
    "mueble": ("Muebles", "Mueblería", "Diseños en Madera"),
    "forestal": ("Maderera", "Forestal", "Aserradero"),
    "pesca": ("Pesquera", "Conservas", "Productos Marinos"),
    "pesca-amazonica": ("Pesquera", "Piscigranja"),
    "acuicultura": ("Acuícola", "Piscigranja", "Langostinera"),
    "agroindustria": ("Agroindustrias", "Alimentos", "Conservas", "Agroexportadora"),
    "cafe": ("Café", "Cafetalera", "Tostaduría"),
    "cacao": ("Cacao", "Chocolates", "Agroindustrias"),
    "vid": ("Viñedos", "Bodega"),
    "pisco": ("Bodega", "Pisco"),
    "frutas": ("Frutos", "Agroindustrias", "Néctares"),
}
GENERIC_TRADES = ("Inversiones", "Negociaciones", "Corporación", "Industrias", "Servicios")
SUFFIXES = (("S.A.C.", 45), ("E.I.R.L.", 35), ("S.R.L.", 14), ("S.A.", 6))
TAXPAYER = {
    "S.A.C.": "Sociedad anónima cerrada",
    "E.I.R.L.": "Empresa individual de responsabilidad limitada",
    "S.R.L.": "Sociedad comercial de responsabilidad limitada",
    "S.A.": "Sociedad anónima",
}
PRODUCERS = {
    "cuero": "Productores de Calzado",
    "calzado": "Fabricantes de Calzado",
    "textil-camelidos": "Artesanas Textiles",
    "fibra-de-alpaca": "Criadores de Alpaca",
    "madera": "Carpinteros y Ebanistas",
    "mueble": "Fabricantes de Muebles",
    "forestal": "Productores Forestales",
    "pesca": "Pescadores Artesanales",
    "pesca-amazonica": "Piscicultores",
    "acuicultura": "Acuicultores",
    "agroindustria": "Productores Agropecuarios",
    "cafe": "Productores de Café",
    "cacao": "Productores de Cacao",
    "papa": "Productores de Papa Nativa",
    "frutas": "Fruticultores",
    "castana": "Castañeros",
}
AGRARIAN = {"agroindustria", "cafe", "cacao", "papa", "frutas", "castana", "fibra-de-alpaca"}


def person_name(rng: random.Random) -> str:
    """First name(s) and both surnames, e.g. "Rosa Elena Quispe Mamani"."""
    first = rng.choice(MALE if rng.random() < 0.5 else FEMALE)
    pool = MALE if first in MALE else FEMALE
    if rng.random() < 0.35:
        second = rng.choice(pool)
        if second != first:
            first = f"{first} {second}"
    return f"{first} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"


def company_name(rng: random.Random, chain: str) -> tuple[str, str]:
    """A business name with its legal form, and the SUNAT taxpayer type of that form."""
    trade = rng.choice(TRADES.get(chain, GENERIC_TRADES) + GENERIC_TRADES[:1])
    if rng.random() < 0.2:
        core = f"{trade} {rng.choice(SURNAMES)}"
    else:
        core = f"{trade} {rng.choice(PLACE_WORDS)}"
    suffix = rng.choices([s for s, _ in SUFFIXES], [w for _, w in SUFFIXES])[0]
    return f"{core} {suffix}", TAXPAYER[suffix]


def association_name(rng: random.Random, chain: str, place: str) -> tuple[str, str]:
    """An association or cooperative named after its trade and place, with its taxpayer type."""
    producers = PRODUCERS.get(chain, "Productores")
    if rng.random() < 0.3:
        kind = "Agraria" if chain in AGRARIAN else "de Servicios Múltiples"
        return f"Cooperativa {kind} {rng.choice(PLACE_WORDS)} de {place}", "Cooperativa"
    return f"Asociación de {producers} {place}", "Asociación"


def academia_name(rng: random.Random, place: str) -> str:
    kind = rng.choice(
        ("Instituto de Educación Superior Tecnológico Público", "Universidad Nacional de")
    )
    return f"{kind} {place}"


def other_name(rng: random.Random, place: str) -> tuple[str, str]:
    if rng.random() < 0.5:
        return f"Municipalidad Distrital de {place}", "Gobierno regional o local"
    return f"Comunidad Campesina de {place}", "Comunidad campesina"
