"""Images and attachments of a client/supplier or product: add, remove, download.

Files are stored once by content (catalog.services.blob_store); the download is served
only to members of the company whose record holds the attachment.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from catalog import selectors, services
from catalog.exceptions import WriteRefused
from catalog.forms import AttachmentForm
from catalog.registries import describe, of_attachment
from catalog.views.parties import party_detail_response
from catalog.views.products import product_detail_response
from companies.models import Company
from companies.selectors import company_for_user

# Shown in the browser; anything else (HTML, SVG, PDF, …) is downloaded, so an uploaded
# file can never run as a page of this site.
INLINE_CONTENT_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def _redirect_to_record(company: Company, registry: str, record_id: int) -> HttpResponse:
    descriptor = describe(registry)
    return redirect(descriptor.url_name("detail"), company_id=company.pk, **{descriptor.id_field: record_id})


_DETAIL_RESPONSES = {"party": party_detail_response, "product": product_detail_response}


def _detail_response(request, company, registry, record_id, **kwargs) -> HttpResponse:
    return _DETAIL_RESPONSES[registry](request, company, record_id, **kwargs)


@require_http_methods(["POST"])
@login_required
def attachment_add(request: HttpRequest, company_id: int, registry: str, record_id: int) -> HttpResponse:
    company = company_for_user(request.user, company_id)
    describe(registry).get_record(company=company, record_id=record_id)  # 404 unless the company's
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail_response(request, company, registry, record_id, attachment_form=form, status=400)
    upload = form.cleaned_data["file"]
    # The browser's claim; an implausible one is dropped and the service guesses by name.
    content_type = upload.content_type or ""
    if len(content_type) > 100 or "/" not in content_type:
        content_type = ""
    try:
        services.attachment_add(
            company=company,
            registry=registry,
            record_id=record_id,
            filename=upload.name,
            content=upload.read(),
            content_type=content_type,
            actor_id=request.user.pk,
            source="web",
        )
    except WriteRefused as refusal:
        return _detail_response(
            request, company, registry, record_id, error=refusal.message, status=403
        )
    except ValidationError as error:
        return _detail_response(
            request, company, registry, record_id, error=" ".join(error.messages), status=400
        )
    messages.success(request, f"Arquivo “{upload.name}” anexado.")
    return _redirect_to_record(company, registry, record_id)


@require_http_methods(["POST"])
@login_required
def attachment_remove(request: HttpRequest, company_id: int, attachment_id: int) -> HttpResponse:
    company = company_for_user(request.user, company_id)
    attachment = selectors.attachment_get(company=company, attachment_id=attachment_id)
    descriptor = of_attachment(attachment)
    registry, record_id = descriptor.name, getattr(attachment, descriptor.id_field)
    try:
        services.attachment_remove(
            company=company, attachment_id=attachment.pk, actor_id=request.user.pk, source="web"
        )
    except WriteRefused as refusal:
        return _detail_response(
            request, company, registry, record_id, error=refusal.message, status=403
        )
    messages.success(request, f"Arquivo “{attachment.filename}” removido.")
    return _redirect_to_record(company, registry, record_id)


@require_http_methods(["GET", "HEAD"])
@login_required
def attachment_download(request: HttpRequest, company_id: int, attachment_id: int) -> HttpResponse:
    company = company_for_user(request.user, company_id)
    attachment = selectors.attachment_get(company=company, attachment_id=attachment_id)
    blob = attachment.blob
    if blob.url:  # an image known by its address (API imagens[].url_imagem): never fetched here
        return HttpResponseRedirect(blob.url)
    content_type = blob.content_type or "application/octet-stream"
    inline = content_type in INLINE_CONTENT_TYPES
    try:
        handle = blob.file.open("rb")
    except FileNotFoundError:
        raise Http404("O arquivo não está mais no armazenamento.") from None
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=attachment.filename,
        content_type=content_type,
    )
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


