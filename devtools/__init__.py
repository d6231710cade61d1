"""Developer tools: the benchmarks and the demo data, kept out of the product's apps.

`manage.py bench_sharing`, `bench_api`, `bench_search` and `seed_demo` live here
(devtools/management/commands/), with the demo data they load (devtools/demo_data.py).
None of the product's apps imports this package: settings.py registers it as an app only
when it is importable (and OMIESHARE_DEVTOOLS is not 0), so a production image can leave
the whole directory out and the site runs the same, just without these commands.
"""
