"""Per-company catalog pages: clients/suppliers, products, attachments, salespeople, families.

Every view gets its company through `companies.selectors.company_for_user` (404 for anyone
without a membership), reads through `catalog.selectors` and writes through
`catalog.services` only.
"""
