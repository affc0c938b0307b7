"""Files attached to documents (…/Invoices/{InvoiceID}/Attachments/{FileName}), as Xero keeps them.

Xero's attachments page: at most 10 files per document, each at most 10 MB, of the listed file types; the
same file name again replaces the file; a voided or deleted document takes no new files. Rows live in the
"Attachments" table (content base64, so a saved demo keeps them) and never leave the emulator whole.
"""

from __future__ import annotations

import base64
import mimetypes

from .documents import Invalid
from .formats import new_id

MAX_FILES, MAX_BYTES = 10, 10 * 1024 * 1024
TYPES = {"7z", "bmp", "csv", "doc", "docx", "eml", "gif", "jpeg", "jpg", "keynote", "msg", "numbers", "odf", "ods",
         "odt", "pages", "pdf", "png", "ppt", "pptx", "rar", "rtf", "tif", "tiff", "txt", "xls", "xlsx", "zip"}
ID_FIELDS = {"Invoices": "InvoiceID"}


def _of(state, tenant, kind, record_id) -> list[dict]:
    parent = f"{kind}/{str(record_id).lower()}"
    return [a for a in state.rows("Attachments", tenant) if a["_parent"] == parent]


def public(state, row: dict) -> dict:
    out = {k: v for k, v in row.items() if not k.startswith("_")}
    out["Url"] = f"https://api.xero.com/api.xro/2.0/{row['_parent']}/Attachments/{row['FileName']}"
    return out


def listed(state, tenant, kind, record_id) -> list[dict]:
    return [public(state, a) for a in _of(state, tenant, kind, record_id)]


def find(state, tenant, kind, record_id, name: str) -> dict | None:
    return next((a for a in _of(state, tenant, kind, record_id)
                 if a["AttachmentID"].lower() == name.lower() or a["FileName"] == name), None)


def content(row: dict) -> bytes:
    return base64.b64decode(row["_content"])


def save(state, tenant, kind, record_id, name: str, body: bytes, include_online: bool) -> dict:
    with state.lock:
        document = state.get(kind, tenant, record_id)
        if document is None:
            raise Invalid(f"{ID_FIELDS[kind]} {record_id} could not be found")
        if document.get("Status") in ("VOIDED", "DELETED"):
            raise Invalid(f"Files cannot be attached to a {document['Status'].lower()} document")
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if extension not in TYPES:
            raise Invalid(f"The file type of '{name}' is not supported")
        if not body:
            raise Invalid("The file is empty")
        if len(body) > MAX_BYTES:
            raise Invalid(f"The file '{name}' is larger than the maximum of 10 MB")
        existing = find(state, tenant, kind, record_id, name)
        if existing is None and len(_of(state, tenant, kind, record_id)) >= MAX_FILES:
            raise Invalid(f"A document can have at most {MAX_FILES} attachments")
        row = {
            "AttachmentID": existing["AttachmentID"] if existing else new_id(),
            "FileName": name,
            "MimeType": mimetypes.guess_type(name)[0] or "application/octet-stream",
            "ContentLength": len(body),
            "IncludeOnline": include_online,
            "_parent": f"{kind}/{str(record_id).lower()}",
            "_content": base64.b64encode(body).decode(),
        }
        state.put("Attachments", tenant, row, existing is None)
        row.pop("UpdatedDateUTC", None)
        document["HasAttachments"] = True  # Xero sets it without a new UpdatedDateUTC
        return public(state, row)
