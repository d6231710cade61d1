"""Support's view of webhooks: endpoints (add, pause, "Testar"), events with the
dead-letter list ("Reenviar") and the delivery log."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from webhooks import sender, services
from webhooks.models import ALL_TOPICS, TOPIC_CHOICES, Attempt, Delivery, Endpoint


class EndpointAdminForm(forms.ModelForm):
    url = forms.CharField(label="URL", max_length=500)
    topics = forms.MultipleChoiceField(label="Tópicos", choices=TOPIC_CHOICES, widget=forms.CheckboxSelectMultiple,
                                       initial=ALL_TOPICS)

    class Meta:
        model = Endpoint
        fields = ["company", "url", "topics", "active"]

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        try:
            sender.check_url(url)
        except sender.Refused as refusal:
            raise forms.ValidationError(str(refusal)) from None
        return url


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointAdminForm
    list_display = ["url", "company", "active", "created_at", "last_ping_at"]
    list_filter = ["active"]
    search_fields = ["url", "company__legal_name", "company__trade_name", "company__cnpj"]
    autocomplete_fields = ["company"]
    readonly_fields = ["secret_hint", "last_ping_at", "last_ping_result", "created_at", "updated_at"]
    actions = ["ping", "pause", "resume", "redeliver_all"]

    def get_fields(self, request, obj=None):
        fields = ["company", "url", "topics", "active"]
        return fields + (self.readonly_fields if obj else [])

    def save_model(self, request, obj, form, change):
        # Through the services: URL safety, the company's flag, the kick on resume.
        data = form.cleaned_data
        if change:
            services.endpoint_update(company=obj.company, endpoint_id=obj.pk, url=data["url"],
                                     topics=data["topics"], active=data["active"])
        else:
            created = services.endpoint_create(company=data["company"], url=data["url"], topics=data["topics"],
                                               active=data["active"])
            obj.pk = created.pk
            messages.warning(request, f"Segredo de assinatura (mostrado uma única vez): {created.secret}")
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.endpoint_delete(company=obj.company, endpoint_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for endpoint in queryset.select_related("company"):
            services.endpoint_delete(company=endpoint.company, endpoint_id=endpoint.pk)

    @admin.display(description="segredo")
    def secret_hint(self, obj):
        return obj.secret_hint

    @admin.action(description="Testar (enviar o ping)")
    def ping(self, request, queryset):
        for endpoint in queryset.select_related("company")[:20]:
            attempt = services.endpoint_ping(company=endpoint.company, endpoint_id=endpoint.pk)
            if attempt.ok:
                messages.success(request, f"{endpoint.url}: HTTP {attempt.status_code} em {attempt.duration_ms} ms.")
            else:
                messages.error(request, f"{endpoint.url}: {attempt.error}")

    @admin.action(description="Pausar")
    def pause(self, request, queryset):
        for endpoint in queryset.select_related("company"):
            services.endpoint_set_active(company=endpoint.company, endpoint_id=endpoint.pk, active=False)

    @admin.action(description="Reativar")
    def resume(self, request, queryset):
        for endpoint in queryset.select_related("company"):
            services.endpoint_set_active(company=endpoint.company, endpoint_id=endpoint.pk, active=True)

    @admin.action(description="Reenviar a lista de falhas")
    def redeliver_all(self, request, queryset):
        count = sum(services.redeliver(company=e.company, endpoint_id=e.pk) for e in queryset.select_related("company"))
        messages.success(request, f"{count} evento(s) de volta à fila.")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["topic", "local_id", "company", "endpoint", "status", "attempts", "created_at", "delivered_at"]
    list_filter = ["status", "topic"]
    search_fields = ["message_id", "endpoint__url"]
    list_select_related = ["company", "endpoint"]
    actions = ["redeliver"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Delivery._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Reenviar (eventos da lista de falhas)")
    def redeliver(self, request, queryset):
        count = 0
        for delivery in queryset.filter(status=Delivery.Status.DEAD).select_related("company")[:1000]:
            count += services.redeliver(company=delivery.company, endpoint_id=delivery.endpoint_id,
                                        delivery_ids=[delivery.pk])
        messages.success(request, f"{count} evento(s) de volta à fila.")


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ["at", "endpoint", "delivery", "ok", "status_code", "duration_ms", "error"]
    list_filter = ["ok"]
    list_select_related = ["endpoint", "delivery"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Attempt._meta.fields]

    def has_add_permission(self, request):
        return False
