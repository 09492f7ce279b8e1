"""One stock for every channel, in the portal: oversells to cancel, and what each marketplace keeps back.

An oversell is a marketplace order for units the other channels sold first (catalogue.sync.services):
the producer (and the office) see it at once on every portal page's banner and on its list, with
what to do — cancel that order on the marketplace; its cancellation, reported by the sync worker or
the marketplace's push, takes it off the list. None of our marketplace adapters cancels an order
(Shopee's v2.order.cancel_order, Lazada's and TikTok Shop's cancellation APIs are not wired): the
producer does it in the marketplace's seller centre, where the buyer is told why.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from catalogue.errors import InvalidInput
from catalogue.portal.admin import portal_admin
from catalogue.portal.auth import current_principal
from catalogue.portal.forms import BufferForm
from catalogue.portal.views import _product_page, portal
from catalogue.products import editing
from catalogue.sync import services
from catalogue.sync.models import MARKETPLACE_NAMES, MARKETPLACES


def _open_oversells() -> dict:
    """The banner's count, on every portal page of a signed-in user."""
    if not current_user.is_authenticated:
        return {}
    return {"open_oversells": len(services.oversells(current_principal(), limit=100))}


portal.context_processor(_open_oversells)
portal_admin.context_processor(_open_oversells)


@portal.get("/oversells")
def oversells():
    """Marketplace orders for units already gone: cancel each on its marketplace."""
    return render_template(
        "portal/oversells.html", oversells=services.oversells(current_principal()), names=MARKETPLACE_NAMES
    )


@portal.post("/products/<int:product_id>/buffers")
def buffers(product_id: int):
    """Set how many units each marketplace listing keeps back."""
    principal = current_principal()
    found = editing.editable_product(principal, product_id)
    form = BufferForm()
    if not form.validate():
        page, status = _product_page(found, buffer_form=form)
        return page, 422 if status == 200 else status
    try:
        services.set_buffers(principal, product_id, {name: getattr(form, name).data for name in MARKETPLACES})
    except InvalidInput:
        form.shopee.errors = [gettext("Mỗi mức giữ lại là một số nguyên từ 0 đến 100.000.")]
        return _product_page(found, buffer_form=form)[0], 422
    flash(gettext("Đã lưu mức giữ lại cho từng sàn; các sàn sẽ nhận tồn kho mới ở lượt đồng bộ tới."), "success")
    return redirect(url_for("portal.product", product_id=product_id), code=303)
