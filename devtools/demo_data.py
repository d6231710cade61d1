"""The demo data of `seed_demo`, as plain values: no database here.

Every record is derived from its own index with its own seeded random generator, so the
data is the same on every run and every machine (for a given Faker version), and record
n is the same whatever --records is: a second run only adds what is missing.

The overlap that makes sharing interesting (counts for --records N):
- Matriz: N clients/suppliers (≈5% without CNPJ/CPF: foreign clients and consumers, a few
  with an alphanumeric CNPJ) and N products (a kit with a structure every
  20th, a photo every 12th, shared by the filiais' copies: stored once).
- Filial Sul holds every 3rd matriz party that has a document (matched by CNPJ/CPF) and
  every 3rd product (matched by code), Filial Norte every 4th; many of these copies differ
  (phone, e-mail, address, names, price, description, NCM, unit).
- Each filial also has its own records (about N/8 parties, N/10 products): some without
  CNPJ/CPF, some with the same name as a matriz party (a likely duplicate), and some
  products with the EAN of a matriz product under another code (a likely duplicate).
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from omieshare.lib.brazil import cnpj_with_check_digits, cpf_with_check_digits, gtin_check_digit

DEMO_GROUP = "Grupo Exemplo"
DEMO_PASSWORD = "omieshare-demo"


# --- documents: deterministic, unique per index, valid check digits -----------------------

_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def numeric_cnpj(index: int, branch: int = 1) -> str:
    # 7919 is prime to 10**8, so distinct indexes give distinct roots.
    root = (index * 7919 + 10_000_019) % 10**8
    return cnpj_with_check_digits(f"{root:08d}{branch:04d}")


def alphanumeric_cnpj(index: int) -> str:
    # Two letters first, so it never equals a numeric one; the rest encodes the index.
    digits = ""
    value = index * 7919 + 1_000_003
    for _ in range(6):
        value, rest = divmod(value, 36)
        digits = _BASE36[rest] + digits
    letters = _BASE36[10 + index % 26] + _BASE36[10 + (index // 26) % 26]
    return cnpj_with_check_digits(f"{letters}{digits}0001")


def cpf(index: int) -> str:
    # 104729 is prime to 10**9: distinct indexes give distinct CPFs.
    return cpf_with_check_digits(f"{(index * 104729 + 100_000_007) % 10**9:09d}")


def ean13(prefix: int, index: int) -> str:
    body = f"789{prefix + index // 100_000:04d}{index % 100_000:05d}"
    return body + str(gtin_check_digit(body))


# --- the three companies -------------------------------------------------------------------


@dataclass(frozen=True)
class CompanySpec:
    key: str
    code_prefix: str
    cnpj: str
    legal_name: str
    trade_name: str
    enforce_unique_records: bool
    home_cities: tuple[int, ...]  # indexes into CITIES for the company's own clients


# (city, UF, DDD, first 5 digits of a CEP)
CITIES = [
    ("São Paulo", "SP", "11", "01310"),
    ("Campinas", "SP", "19", "13010"),
    ("Santos", "SP", "13", "11010"),
    ("Ribeirão Preto", "SP", "16", "14010"),
    ("Rio de Janeiro", "RJ", "21", "20040"),
    ("Belo Horizonte", "MG", "31", "30130"),
    ("Uberlândia", "MG", "34", "38400"),
    ("Vitória", "ES", "27", "29010"),
    ("Curitiba", "PR", "41", "80010"),
    ("Londrina", "PR", "43", "86010"),
    ("Porto Alegre", "RS", "51", "90010"),
    ("Caxias do Sul", "RS", "54", "95020"),
    ("Florianópolis", "SC", "48", "88010"),
    ("Joinville", "SC", "47", "89201"),
    ("Brasília", "DF", "61", "70040"),
    ("Goiânia", "GO", "62", "74003"),
    ("Salvador", "BA", "71", "40010"),
    ("Recife", "PE", "81", "50010"),
    ("Fortaleza", "CE", "85", "60025"),
    ("Natal", "RN", "84", "59010"),
    ("Manaus", "AM", "92", "69005"),
    ("Belém", "PA", "91", "66010"),
    ("Porto Velho", "RO", "69", "76801"),
    ("Palmas", "TO", "63", "77001"),
    ("São Luís", "MA", "98", "65010"),
    ("Boa Vista", "RR", "95", "69301"),
]
_SOUTH = (8, 9, 10, 11, 12, 13)
_NORTH = (20, 21, 22, 23, 24, 25)

MATRIZ_CNPJ = numeric_cnpj(4_736_120, branch=1)
COMPANIES = [
    CompanySpec(
        key="matriz",
        code_prefix="MTZ",
        cnpj=MATRIZ_CNPJ,
        legal_name="Exemplo Matriz Comércio e Distribuição Ltda",
        trade_name="Exemplo Matriz",
        enforce_unique_records=True,
        home_cities=tuple(range(len(CITIES))),
    ),
    CompanySpec(
        key="sul",
        code_prefix="SUL",
        cnpj=cnpj_with_check_digits(MATRIZ_CNPJ[:8] + "0002"),  # a branch of the same root
        legal_name="Exemplo Filial Sul Comércio e Distribuição Ltda",
        trade_name="Exemplo Filial Sul",
        enforce_unique_records=False,
        home_cities=_SOUTH,
    ),
    CompanySpec(
        key="norte",
        code_prefix="NOR",
        cnpj="12ABC34501DE35",  # alphanumeric CNPJ, valid from July 2026
        legal_name="Exemplo Filial Norte Comércio e Distribuição Ltda",
        trade_name="Exemplo Filial Norte",
        enforce_unique_records=False,
        home_cities=_NORTH,
    ),
]


@dataclass(frozen=True)
class UserSpec:
    email: str
    first_name: str
    last_name: str
    memberships: tuple[tuple[str, str], ...]  # (company key, role)
    is_support: bool = False


USERS = [
    UserSpec("admin@exemplo.com.br", "Renata", "Oliveira",
             (("matriz", "admin"), ("sul", "admin"), ("norte", "admin"))),
    UserSpec("usuario@exemplo.com.br", "Paulo", "Santos", (("sul", "user"),)),
    UserSpec("suporte@exemplo.com.br", "Suporte", "omieshare", (), is_support=True),
]

# Salespeople, matched across companies by e-mail. The filiais know some of the matriz's,
# one under a differently written name, and have one of their own.
SALESPEOPLE = {
    "matriz": [
        ("Mariana Albuquerque", "mariana.albuquerque@exemplo.com.br"),
        ("Bruno Carvalho", "bruno.carvalho@exemplo.com.br"),
        ("Carla Mendes", "carla.mendes@exemplo.com.br"),
        ("Diego Ramos", "diego.ramos@exemplo.com.br"),
        ("Eduarda Lima", "eduarda.lima@exemplo.com.br"),
        ("Felipe Araújo", "felipe.araujo@exemplo.com.br"),
    ],
    "sul": [
        ("Mariana Albuquerque", "mariana.albuquerque@exemplo.com.br"),
        ("Bruno C. Carvalho", "bruno.carvalho@exemplo.com.br"),
        ("Gabriel Rocha", "gabriel.rocha@exemplo.com.br"),
    ],
    "norte": [
        ("Carla Mendes", "carla.mendes@exemplo.com.br"),
        ("Diego Ramos", "diego.ramos@exemplo.com.br"),
        ("Helena Costa", "helena.costa@exemplo.com.br"),
    ],
}


# --- products: categories with realistic NCM, CEST, units and prices ----------------------


@dataclass(frozen=True)
class Category:
    family: str
    ncm: tuple[str, ...]
    cest: str  # "" when the items are not under ICMS-ST
    units: tuple[str, ...]
    items: tuple[str, ...]
    variants: tuple[str, ...]
    brands: tuple[str, ...]
    price: tuple[int, int]  # in reais


CATEGORIES = [
    Category("Informática", ("84713012", "84716053", "84716052", "84717012"), "", ("UN",),
             ("Notebook 14\"", "Mouse óptico USB", "Teclado ABNT2 USB", "SSD 480 GB", "Webcam Full HD",
              "Monitor 24\" LED", "Hub USB 4 portas"),
             ("preto", "prata", "sem fio", "com fio", "slim"), ("Positivo", "Multilaser", "Dell", "Lenovo", "Logitech"),
             (25, 4200)),
    Category("Papelaria", ("48025610", "96081000", "48201000", "96091000"), "", ("UN", "CX", "PCT"),
             ("Papel sulfite A4 75 g", "Caneta esferográfica", "Caderno universitário 10 matérias",
              "Lápis preto nº 2", "Bloco de notas adesivas", "Grampeador de mesa"),
             ("azul", "preta", "vermelha", "caixa com 50", "pacote com 500 folhas"),
             ("Chamex", "BIC", "Faber-Castell", "Tilibra", "Jandaia"), (2, 60)),
    Category("Ferramentas", ("82055900", "82041100", "84672100", "82032000"), "0801900", ("UN", "PC", "JG"),
             ("Chave combinada", "Alicate universal 8\"", "Furadeira de impacto 650 W", "Martelo de unha",
              "Jogo de chaves de fenda", "Trena 5 m"),
             ("13 mm", "17 mm", "127 V", "220 V", "6 peças", "emborrachado"),
             ("Tramontina", "Vonder", "Bosch", "Stanley", "Gedore"), (12, 680)),
    Category("Bebidas", ("22021000", "22011000", "22030000"), "0301000", ("UN", "CX", "FD"),
             ("Refrigerante cola 2 L", "Água mineral sem gás 500 ml", "Cerveja pilsen lata 350 ml",
              "Suco de uva integral 1 L", "Água com gás 1,5 L"),
             ("fardo com 6", "fardo com 12", "caixa com 24", "unidade"),
             ("Crystal", "Indaiá", "Itaipava", "Aurora", "Minalba"), (2, 95)),
    Category("Alimentos", ("09012100", "10063021", "17019900", "19023000"), "", ("UN", "KG", "FD"),
             ("Café torrado e moído 500 g", "Arroz tipo 1 5 kg", "Açúcar refinado 1 kg",
              "Macarrão espaguete 500 g", "Feijão carioca 1 kg"),
             ("tradicional", "extraforte", "fardo com 10", "unidade"),
             ("Pilão", "Tio João", "União", "Renata", "Camil"), (4, 45)),
    Category("Limpeza", ("34025000", "34011190", "38089419"), "1100300", ("UN", "CX", "LT"),
             ("Detergente líquido 500 ml", "Sabonete em barra 90 g", "Desinfetante 2 L",
              "Água sanitária 1 L", "Limpador multiuso 500 ml"),
             ("neutro", "limão", "lavanda", "caixa com 12"),
             ("Ypê", "Limpol", "Veja", "Qboa", "Lux"), (2, 48)),
    Category("Elétrica", ("85044010", "85444200", "85365090", "85395200"), "2105300", ("UN", "M", "RL"),
             ("Carregador USB-C 20 W", "Cabo flexível 2,5 mm²", "Interruptor simples", "Lâmpada LED 9 W",
              "Extensão 3 tomadas 5 m"),
             ("branco", "preto", "bivolt", "rolo 100 m", "6500 K"),
             ("Tramontina", "Pial", "Sil", "Philips", "Intelbras"), (3, 320)),
    Category("Automotivo", ("40111000", "27101932", "87083090"), "1600100", ("UN", "LT", "JG"),
             ("Pneu aro 14 175/70", "Óleo lubrificante 5W30 1 L", "Pastilha de freio dianteira",
              "Palheta limpador 20\""),
             ("radial", "sintético", "semissintético", "par"),
             ("Pirelli", "Lubrax", "Bosch", "Cobreq", "Goodyear"), (18, 650)),
    Category("Embalagens", ("48191000", "39231090", "39201099"), "", ("UN", "CX", "RL", "PCT"),
             ("Caixa de papelão 40x30x20", "Caixa plástica organizadora", "Filme stretch 50 cm",
              "Saco plástico 60 L"),
             ("pacote com 25", "pacote com 100", "transparente", "reforçada"),
             ("Embalagens Sul", "Plasútil", "Rolopack", "Dello"), (1, 120)),
    Category("Móveis de escritório", ("94033000", "94013900", "94031000"), "", ("UN",),
             ("Cadeira giratória", "Mesa em L 1,50 m", "Armário baixo 2 portas", "Gaveteiro volante"),
             ("preta", "cinza", "carvalho", "branca"),
             ("Cavaletti", "Flexform", "Marzo", "Pandin"), (180, 2400)),
]
KIT_FAMILY = "Kits e conjuntos"

ACTIVITIES = [
    ("Comércio de Alimentos", "Alimentos", "Varejo"),
    ("Distribuidora", "Distribuidora", "Atacado"),
    ("Materiais de Construção", "Materiais", "Construção"),
    ("Tecnologia", "Tech", "Serviços"),
    ("Indústria Metalúrgica", "Metalúrgica", "Indústria"),
    ("Transportes", "Transportes", "Logística"),
    ("Auto Peças", "Auto Peças", "Varejo"),
    ("Papelaria", "Papelaria", "Varejo"),
    ("Farmácia", "Farma", "Saúde"),
    ("Supermercados", "Supermercados", "Varejo"),
    ("Confecções", "Confecções", "Indústria"),
    ("Engenharia", "Engenharia", "Serviços"),
    ("Embalagens", "Embalagens", "Indústria"),
]
_SUFFIXES = ("Ltda", "Ltda", "Ltda", "S.A.", "ME", "EPP")
_STREETS = ("Rua", "Rua", "Avenida", "Travessa", "Alameda", "Rodovia")
_MAILS = ("gmail.com", "hotmail.com", "outlook.com", "uol.com.br", "bol.com.br", "terra.com.br")
# BACEN country codes (as Omie uses) of foreign clients, which have no CNPJ/CPF.
_FOREIGN = [
    ("0639", "Buenos Aires", "S.A."),
    ("5860", "Asunción", "S.R.L."),
    ("8451", "Montevideo", "S.A."),
    ("6076", "Lisboa", "Lda."),
    ("2496", "Miami", "Inc."),
]


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", ascii_text.lower())


def money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- record specs ----------------------------------------------------------------------------


@dataclass
class PartySpec:
    code: str
    data: dict[str, Any]
    salespeople: list[str] = field(default_factory=list)  # e-mails


@dataclass
class ProductSpec:
    code: str
    data: dict[str, Any]
    family: str
    suppliers: list[str] = field(default_factory=list)  # party codes in the same company
    bom: list[tuple[str, Decimal]] = field(default_factory=list)  # (component code, qty)
    stock: Decimal = Decimal("0")
    wholesale: bool = False  # listed in the company's price table
    photo: bool = False  # gets the family's picture as an image attachment


class DemoData:
    """Builds the specs of each company; `faker` is a Faker("pt_BR") instance."""

    def __init__(self, faker, records: int) -> None:
        self.fake = faker
        self.records = records
        self._party_cache: dict[int, PartySpec] = {}
        self._product_cache: dict[int, ProductSpec] = {}

    def _rng(self, *key: object) -> random.Random:
        seed = ":".join(str(part) for part in key)
        self.fake.seed_instance(seed)
        return random.Random(seed)

    # parties ---------------------------------------------------------------------------

    def _party(self, key: str, index: int, company: CompanySpec, document_index: int) -> PartySpec:
        rng = self._rng(key, index)
        fake = self.fake
        kind = "foreign" if index % 40 == 0 else "person" if index % 4 == 1 or index % 20 == 0 else "company"
        city, uf, ddd, cep = CITIES[rng.choice(company.home_cities)]
        data: dict[str, Any] = {
            "street": f"{rng.choice(_STREETS)} {fake.name()}",
            "number": str(rng.randint(1, 3999)),
            "complement": rng.choice(["", "", "", "Sala 12", "Galpão 3", "Bloco B", "Loja 2"]),
            "district": fake.bairro(),
            "city": city,
            "state": uf,
            "cep": f"{cep}{rng.randint(0, 999):03d}",
            "phone_ddd": ddd,
            "is_client": index % 10 != 0,
            "is_supplier": index % 5 == 0,
        }
        if kind == "company":
            surname = fake.last_name().split()[-1]
            activity, short, segment = rng.choice(ACTIVITIES)
            data["legal_name"] = f"{surname} {activity} {rng.choice(_SUFFIXES)}"
            data["trade_name"] = f"{short} {surname}"
            data["email"] = f"contato@{slug(short + surname)}.com.br"
            data["phone_number"] = f"{rng.randint(2, 5)}{rng.randint(0, 9_999_999):07d}"
            data["cnpj_cpf"] = (
                alphanumeric_cnpj(document_index) if index % 50 == 7 else numeric_cnpj(document_index)
            )
            data["characteristics"] = {
                "Segmento": segment,
                "Condição de pagamento": rng.choice(["À vista", "30 dias", "30/60 dias", "28/56/84 dias"]),
                "Limite de crédito": f"R$ {rng.choice([5, 10, 20, 50, 100])}.000,00",
            }
        else:
            name = fake.name()
            data["legal_name"] = name
            data["trade_name"] = name.split()[0]
            data["email"] = f"{slug(name)[:20]}{rng.randint(1, 99)}@{rng.choice(_MAILS)}"
            data["phone_number"] = f"9{rng.randint(0, 99_999_999):08d}"
            # Some consumers are registered without a CPF: valid, never shared.
            data["cnpj_cpf"] = "" if index % 20 == 0 else cpf(document_index)
            data["person_type"] = "F"
            data["characteristics"] = {"Canal": rng.choice(["Loja", "Site", "Telefone", "Representante"])}
        if kind == "foreign":
            country, foreign_city, suffix = rng.choice(_FOREIGN)
            surname = fake.last_name().split()[-1]
            data.update(
                legal_name=f"{surname} Import Export {suffix}",
                trade_name=f"{surname} Import",
                email=f"compras@{slug(surname)}import.com",
                cnpj_cpf="",
                person_type="J",
                country_code=country,
                city=foreign_city,
                state="",
                cep="",
                phone_ddd="",
                phone_number="",
                characteristics={"Segmento": "Exportação", "Moeda": "USD"},
            )
        data["tags"] = rng.sample(["Atacado", "Varejo", "VIP", "Novo", "Recorrente"], k=rng.randint(0, 2))
        emails = [email for _, email in SALESPEOPLE[company.key]]
        salespeople = rng.sample(emails, k=rng.choice([0, 1, 1, 2])) if data["is_client"] else []
        return PartySpec(code=f"{company.code_prefix}-C{index:05d}", data=data, salespeople=salespeople)

    def matriz_party(self, index: int) -> PartySpec:
        if index not in self._party_cache:
            self._party_cache[index] = self._party("party", index, COMPANIES[0], index)
        return self._party_cache[index]

    def parties(self, company: CompanySpec) -> list[PartySpec]:
        if company.key == "matriz":
            return [self.matriz_party(i) for i in range(1, self.records + 1)]
        specs = []
        every = 3 if company.key == "sul" else 4
        for i in range(every, self.records + 1, every):
            original = self.matriz_party(i)
            if original.data["cnpj_cpf"]:
                specs.append(self._party_copy(company, i, original))
        offset = 1_000_000 if company.key == "sul" else 2_000_000
        for j in range(1, self.records // 8 + 1):
            spec = self._party(f"party-{company.key}", j, company, offset + j)
            spec.code = f"{company.code_prefix}-L{j:05d}"
            if j % 7 == 3:
                # Typed again by hand, without the document: same name as a matriz record.
                twin = self.matriz_party((j * 37) % self.records + 1)
                spec.data.update(legal_name=twin.data["legal_name"], cnpj_cpf="")
            specs.append(spec)
        return specs

    def _party_copy(self, company: CompanySpec, index: int, original: PartySpec) -> PartySpec:
        """The same client/supplier as registered in a filial, drifted over time."""
        rng = self._rng("copy", company.key, index)
        data = {**original.data, "characteristics": dict(original.data["characteristics"])}
        if index % 2 == 0 and data["phone_number"]:
            data["phone_number"] = data["phone_number"][:-4] + f"{rng.randint(0, 9999):04d}"
        if index % 9 == 0:
            data["email"] = "financeiro@" + data["email"].split("@", 1)[1]
        if index % 5 == 0:
            data["number"] = str(int(data["number"]) + rng.randint(1, 40))
            data["complement"] = rng.choice(["Sala 3", "Fundos", "Andar 2"])
        if index % 7 == 0:
            data["trade_name"] = data["trade_name"].upper()
        if company.key == "norte" and index % 8 == 0:
            data["legal_name"] = data["legal_name"].upper()
        if index % 6 == 0:
            data["characteristics"]["Observação"] = f"Atendido pela {company.trade_name}"
        emails = [email for _, email in SALESPEOPLE[company.key]]
        salespeople = [email for email in original.salespeople if email in emails]
        if not salespeople and data["is_client"]:
            salespeople = [rng.choice(emails)]
        return PartySpec(code=f"{company.code_prefix}-C{index:05d}", data=data, salespeople=salespeople)

    # products --------------------------------------------------------------------------

    def _product(self, key: str, index: int, code: str, ean: str, supplier_codes: list[str]) -> ProductSpec:
        rng = self._rng(key, index)
        category = CATEGORIES[index % len(CATEGORIES)]
        brand = rng.choice(category.brands)
        description = f"{rng.choice(category.items)} {brand} {rng.choice(category.variants)}"
        low, high = category.price
        price = money(rng.uniform(low, high))
        weight = f"{rng.randint(1, 250) / 10:.1f} kg".replace(".", ",")
        imported = index % 11 == 0
        data = {
            "description": description[:120],
            "unit": rng.choice(category.units),
            "ncm": rng.choice(category.ncm),
            "ean": "" if index % 10 == 9 else ean,
            "price": price,
            "origin": rng.choice([1, 2]) if imported else 0,
            "item_type": "00",
            "cest": category.cest,
            "characteristics": {
                "Marca": brand,
                "Garantia": rng.choice(["3 meses", "6 meses", "12 meses", "—"]),
                **({"Peso bruto": weight} if rng.random() < 0.5 else {}),
            },
        }
        suppliers = rng.sample(supplier_codes, k=min(len(supplier_codes), rng.choice([0, 1, 1, 2])))
        stock = Decimal(0) if rng.random() < 0.1 else Decimal(rng.randint(1, 500))
        return ProductSpec(
            code=code, data=data, family=category.family, suppliers=suppliers, stock=stock,
            wholesale=index % 4 == 0,
        )

    def matriz_product(self, index: int) -> ProductSpec:
        if index not in self._product_cache:
            suppliers = [f"MTZ-C{i:05d}" for i in self._supplier_indexes(index)]
            spec = self._product("product", index, f"PRD{index:05d}", ean13(4000, index), suppliers)
            spec.photo = index % 12 == 0
            if index % 20 == 10:
                # A kit: its structure uses two ordinary products registered before it.
                parts = [self.matriz_product(index - 1), self.matriz_product(index - 3)]
                spec.data.update(
                    description=f"Kit {parts[0].data['description'][:50]} + {parts[1].data['description'][:50]}",
                    item_type="04",
                    price=money((parts[0].data["price"] + parts[1].data["price"]) * Decimal("0.92")),
                    ean="",
                    cest="",
                )
                spec.family = KIT_FAMILY
                spec.photo = False
                spec.bom = [(parts[0].code, Decimal("1")), (parts[1].code, Decimal("2"))]
            self._product_cache[index] = spec
        return self._product_cache[index]

    def _supplier_indexes(self, index: int) -> list[int]:
        # Suppliers are the parties with index % 5 == 0 (and a document, but foreign ones too).
        count = self.records // 5
        if count == 0:
            return []
        return sorted({5 * ((index * k * 31) % count + 1) for k in (1, 2)})

    def products(
        self, company: CompanySpec, party_codes: set[str], supplier_codes: list[str]
    ) -> list[ProductSpec]:
        """`party_codes`: the company's parties; `supplier_codes`: those that are suppliers."""
        if company.key == "matriz":
            return [self.matriz_product(i) for i in range(1, self.records + 1)]
        every = 3 if company.key == "sul" else 4
        copied = set(range(every, self.records + 1, every))
        specs = [self._product_copy(company, i, self.matriz_product(i), copied, party_codes) for i in sorted(copied)]
        prefix = 5000 if company.key == "sul" else 6000
        own_suppliers = sorted(supplier_codes)[:50]
        for j in range(1, self.records // 10 + 1):
            code = f"{company.code_prefix}{j:05d}"
            spec = self._product(f"product-{company.key}", j, code, ean13(prefix, j), own_suppliers)
            if j % 8 == 2:
                # The same item registered again under the filial's own code: same EAN as a
                # matriz product this filial does not hold. A likely duplicate.
                twin_index = (j * 13) % self.records + 1
                while (twin_index in copied or twin_index % 10 == 9 or twin_index % 20 == 10) and twin_index > 1:
                    twin_index -= 1
                twin = self.matriz_product(twin_index)
                if twin.data["ean"] and twin_index not in copied:
                    spec.data.update(ean=twin.data["ean"], description=twin.data["description"].upper()[:120])
            specs.append(spec)
        return specs

    def _product_copy(
        self, company: CompanySpec, index: int, original: ProductSpec, copied: set[int], party_codes: set[str]
    ) -> ProductSpec:
        rng = self._rng("copy-product", company.key, index)
        data = {**original.data, "characteristics": dict(original.data["characteristics"])}
        if index % 2 == 0:
            data["price"] = money(data["price"] * Decimal(rng.choice(["1.05", "1.10", "0.95"])))
        if index % 9 == 0:
            data["description"] = data["description"].upper()
        if company.key == "sul" and index % 21 == 0:
            data["ncm"] = "84719012" if data["ncm"] != "84719012" else "84713012"
        if company.key == "norte" and index % 12 == 0 and data["unit"] == "UN":
            data["unit"] = "PC"
        suppliers = []
        for code in original.suppliers:
            matriz_index = int(code.split("C", 1)[1])
            local = f"{company.code_prefix}-C{matriz_index:05d}"
            if local in party_codes:
                suppliers.append(local)
        bom = [(code, qty) for code, qty in original.bom if int(code[3:]) in copied]
        return ProductSpec(
            code=original.code,
            data=data,
            family=original.family,
            suppliers=suppliers,
            bom=bom,
            stock=Decimal(rng.randint(0, 300)),
            wholesale=rng.random() < 0.25,
            photo=original.photo,
        )
