"""factory-boy factories with realistic pt-BR data. Catalog records are created through
catalog/services.py, like every other write, so the sharing hook sees them too."""

from __future__ import annotations

import random
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from faker import Faker

from catalog import services
from catalog.models import Party, Product, ProductFamily, Salesperson
from companies.models import Company, CompanyGroup, Membership
from omieshare.lib.brazil import gtin_check_digit, random_cnpj, random_cpf

fake = Faker("pt_BR")
PASSWORD = "senha-de-teste-123"


def valid_cnpj() -> str:
    return random_cnpj()


def valid_cpf() -> str:
    return random_cpf()


def valid_ean13() -> str:
    body = "789" + "".join(random.choices("0123456789", k=9))
    return body + str(gtin_check_digit(body))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"usuario{n}@exemplo.com.br")
    email = factory.LazyAttribute(lambda u: u.username)
    first_name = factory.Faker("first_name", locale="pt_BR")
    password = factory.django.Password(PASSWORD)


class CompanyGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompanyGroup

    name = factory.Sequence(lambda n: f"Grupo {n}")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    group = factory.SubFactory(CompanyGroupFactory)
    cnpj = factory.LazyFunction(valid_cnpj)
    legal_name = factory.Sequence(lambda n: f"Empresa {n} Ltda")
    trade_name = factory.Sequence(lambda n: f"Empresa {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    company = factory.SubFactory(CompanyFactory)
    role = Membership.Role.ADMIN


class SalespersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Salesperson

    company = factory.SubFactory(CompanyFactory)
    name = factory.Faker("name", locale="pt_BR")
    email = factory.Sequence(lambda n: f"vendedor{n}@exemplo.com.br")


class ProductFamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductFamily

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Família {n}")


class _ServiceFactory(factory.Factory):
    """Builds the data dict and creates the record through catalog/services.py."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        company = kwargs.pop("company")
        return cls._service(company=company, data=kwargs, source="test")


class PartyFactory(_ServiceFactory):
    class Meta:
        model = Party

    _service = staticmethod(services.party_create)

    company = factory.SubFactory(CompanyFactory)
    cnpj_cpf = factory.LazyFunction(valid_cnpj)
    legal_name = factory.Faker("company", locale="pt_BR")
    trade_name = factory.LazyAttribute(lambda p: p.legal_name.split(" ")[0])
    street = factory.Faker("street_name", locale="pt_BR")
    number = factory.Faker("building_number", locale="pt_BR")
    district = factory.Faker("bairro", locale="pt_BR")
    city = factory.Faker("city", locale="pt_BR")
    state = factory.Faker("estado_sigla", locale="pt_BR")
    cep = factory.LazyFunction(lambda: fake.postcode().replace("-", ""))
    email = factory.Sequence(lambda n: f"contato{n}@cliente.com.br")
    is_client = True


class ProductFactory(_ServiceFactory):
    class Meta:
        model = Product

    _service = staticmethod(services.product_create)

    company = factory.SubFactory(CompanyFactory)
    code = factory.Sequence(lambda n: f"P{n:05d}")
    description = factory.Sequence(lambda n: f"Produto de teste {n}")
    unit = "UN"
    ncm = "84713012"
    ean = factory.LazyFunction(valid_ean13)
    price = factory.LazyFunction(lambda: Decimal(random.randint(100, 99999)) / 100)
