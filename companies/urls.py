from django.urls import path

app_name = "companies"
# Views are added by the companies pages work; names fixed here so other apps can link:
#   companies:my_apps            /apps/
#   companies:summary            /apps/<company_id>/
urlpatterns: list = []
