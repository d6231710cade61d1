"""Images and attachments, and the stored files (blobs) behind them."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import reverse

from catalog import services
from catalog.admin._common import SERVICE_ERRORS, ServiceModelForm, ServiceWriteAdmin
from catalog.models import Attachment, Blob
from omieshare.lib.admin import ServiceRefused, messages_of
from omieshare.templatetags.numbers import format_number


class AttachmentInline(admin.TabularInline):
    """The record's images and attachments, to look at (add them on the Attachment page)."""

    model = Attachment
    fields = ["filename", "is_image", "size", "blob", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("blob")

    @admin.display(description="tamanho (bytes)")
    def size(self, attachment: Attachment) -> int:
        return attachment.blob.size


class PartyAttachmentInline(AttachmentInline):
    fk_name = "party"


class ProductAttachmentInline(AttachmentInline):
    fk_name = "product"


# --- images and attachments ----------------------------------------------------------------


class AttachmentAddForm(ServiceModelForm):
    upload = forms.FileField(label="arquivo")

    class Meta:
        model = Attachment
        fields = ["company", "party", "product"]

    def clean(self):
        cleaned_data = super().clean()
        party, product = cleaned_data.get("party"), cleaned_data.get("product")
        if bool(party) == bool(product):
            raise ValidationError("Escolha um cliente/fornecedor ou um produto (apenas um).")
        record = party or product
        company = cleaned_data.get("company")
        if company and record.company_id != company.pk:
            self.add_error("party" if party else "product", f"Pertence a outra empresa: {record.company}.")
        upload = cleaned_data.get("upload")
        if upload and upload.size > settings.MAX_ATTACHMENT_BYTES:
            self.add_error(
                "upload", f"Arquivo grande demais: o limite é {settings.MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB."
            )
        return cleaned_data


@admin.register(Attachment)
class AttachmentAdmin(ServiceWriteAdmin):
    """Files are added and removed through the services; an attachment is never edited."""

    list_display = ["filename", "owner", "company", "is_image", "size", "created_at"]
    list_filter = ["company", "is_image"]
    list_select_related = ["company", "party", "product", "blob"]
    search_fields = ["filename", "blob__sha256"]
    autocomplete_fields = ["company", "party", "product"]
    show_full_result_count = False
    readonly_fields = ["company", "party", "product", "blob", "filename", "is_image", "created_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = AttachmentAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["company", "party", "product", "upload"]
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="cadastro")
    def owner(self, attachment: Attachment) -> str:
        return str(attachment.party or attachment.product)

    @admin.display(description="tamanho (bytes)", ordering="blob__size")
    def size(self, attachment: Attachment) -> int:
        return attachment.blob.size

    def write(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        record = cleaned.get("party") or cleaned.get("product")
        upload = cleaned["upload"]
        return services.attachment_add(
            company=cleaned["company"],
            registry="party" if cleaned.get("party") else "product",
            record_id=record.pk,
            filename=upload.name,
            content=upload.read(),
            content_type=getattr(upload, "content_type", "") or "",
            actor_id=request.user.pk,
            source="admin",
        )

    def delete_model(self, request, obj):
        try:
            services.attachment_remove(
                company=obj.company, attachment_id=obj.pk, actor_id=request.user.pk, source="admin"
            )
        except SERVICE_ERRORS as error:
            raise ServiceRefused(error) from error

    def delete_queryset(self, request, queryset):
        with transaction.atomic():  # all the selected files, or none
            for attachment in queryset.select_related("company"):
                self.delete_model(request, attachment)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRefused as refused:
            self.message_user(
                request, "Não foi possível remover: " + " ".join(messages_of(refused.error)), messages.ERROR
            )
            return HttpResponseRedirect(reverse("admin:catalog_attachment_change", args=[object_id]))

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except ServiceRefused as refused:  # from the "delete selected" action
            self.message_user(
                request, "Não foi possível remover: " + " ".join(messages_of(refused.error)), messages.ERROR
            )
            return HttpResponseRedirect(request.get_full_path())


@admin.register(Blob)
class BlobAdmin(admin.ModelAdmin):
    """Stored bytes, shared by every attachment with the same content. Read-only."""

    list_display = ["sha256", "size", "content_type", "uses", "created_at"]
    search_fields = ["=sha256"]
    list_filter = ["content_type"]
    readonly_fields = ["sha256", "size", "content_type", "file", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(uses=Count("attachments"))

    @admin.display(description="usado por", ordering="uses")
    def uses(self, blob: Blob) -> str:
        return format_number(blob.uses)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
