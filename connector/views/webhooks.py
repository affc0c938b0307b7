"""Webhook endpoints: authenticate, record, queue, answer fast with an empty body."""

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..services.webhooks import WebhookRejected, procore_delivery_receive, xero_delivery_receive


@csrf_exempt
@require_POST
def procore_webhook(request, connection_id: int):
    try:
        procore_delivery_receive(connection_id=connection_id,
                                 authorization=request.headers.get("Authorization", ""), body=request.body)
    except WebhookRejected:
        return HttpResponse(status=401)
    except ValueError:
        return HttpResponse(status=400)
    return HttpResponse(status=200)


@csrf_exempt
@require_POST
def xero_webhook(request):
    try:
        xero_delivery_receive(body=request.body, signature=request.headers.get("x-xero-signature", ""))
    except WebhookRejected:
        return HttpResponse(status=401)
    except ValueError:
        return HttpResponse(status=400)
    return HttpResponse(status=200)
