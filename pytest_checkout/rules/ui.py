"""The rules of ``ui_mode`` (today's API): which URLs and options each way of showing a session takes.

A session shown on Stripe's hosted page (``hosted_page``, before 2026-03-25.dahlia ``hosted``) sends the customer
to ``success_url``; one embedded in the merchant's page (``embedded_page``, before ``embedded``) or built with
Stripe.js elements (``elements``, before ``custom``) returns them to ``return_url`` instead. These rules hold in
every version that has ``ui_mode`` (2023-10 on); 2022-08-01 has none of these parameters.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pytest_checkout.codec import format_param
from pytest_checkout.rules.registry import RuleContext, Violation, _dig, _given, rule
from pytest_checkout.versions import TODAYS_NAMES

#: The modes shown outside Stripe's hosted page, in today's names. Unverified for ``form`` (new in dahlia): taken
#: to be a Stripe.js integration on the merchant's page as ``elements`` is (the SDK's docs group the two).
ON_THE_MERCHANTS_PAGE = frozenset({"embedded_page", "elements", "form"})
#: What ``elements`` sessions do not take besides the redirect URLs (the SDK's parameter docs).
NOT_WITH_ELEMENTS = (
    "after_expiration",
    "branding_settings",
    "custom_fields",
    "custom_text",
    "origin_context",
    "submit_type",
)
#: ... and the nested parameters they do not take (the SDK's docs: "You can't set this parameter if `ui_mode` is
#: `elements`"); ``tax_id_collection`` itself they take.
NOT_WITH_ELEMENTS_NESTED = (
    ("payment_method_options", "acss_debit"),
    ("payment_method_options", "card", "restrictions"),
    ("tax_id_collection", "required"),
)
#: Permissions that only an ``elements`` session takes (the SDK's docs).
ONLY_WITH_ELEMENTS = (("permissions", "update_shipping_details"),)
_TODAY = TODAYS_NAMES["ui_mode"]


def _ui_mode(params: Mapping[str, Any]) -> tuple[str, str] | None:
    """The request's ``ui_mode`` in today's name, and as the request spelled it; None when not given."""
    given = params.get("ui_mode")
    if not isinstance(given, str) or not given:
        return None
    return _TODAY.get(given, given), given


def _has_ui_mode(context: RuleContext) -> bool:
    version = context.version
    return version is not None and "ui_mode" in version.create_params.properties


@rule("create", "seen")
def hosted_needs_success_url(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """A hosted session needs ``success_url`` (Stripe, stripe-node issue 1944: required but for embedded sessions).

    In 2022-08-01 the schema itself requires it; since ``ui_mode`` it is required unless the session is shown
    on the merchant's page.
    """
    if not _has_ui_mode(context) or _given(params, "success_url"):
        return
    mode = _ui_mode(params)
    if mode is None or mode[0] not in ON_THE_MERCHANTS_PAGE:
        yield Violation("Missing required param: success_url.", param="success_url", code="parameter_missing")


@rule("create", "seen", needs=("ui_mode",))
def merchant_page_refuses_hosted_params(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """``embedded_page`` and ``elements`` take no ``success_url`` nor ``cancel_url``; ``elements`` also none of
    ``NOT_WITH_ELEMENTS`` and ``NOT_WITH_ELEMENTS_NESTED``. The message was seen for ``ui_mode: custom`` (quoted
    in laravel/cashier-stripe#1815); for the other modes it is assumed to be the same."""
    mode = _ui_mode(params)
    if mode is None or mode[0] not in ON_THE_MERCHANTS_PAGE:
        return
    refused = ["cancel_url", "success_url"]
    if mode[0] == "elements":
        refused += NOT_WITH_ELEMENTS
        refused += [format_param(path) for path in NOT_WITH_ELEMENTS_NESTED if _dig(params, *path) is not None]
    if mode[0] in ("elements", "form"):
        refused.append("optional_items")
    given = sorted(key for key in refused if "[" in key or _given(params, key))
    if given:
        yield Violation(
            f"The following parameters are not supported with 'ui_mode: {mode[1]}': {', '.join(given)}.",
            param=given[0],
        )


@rule("create", "docs", needs=("ui_mode",))
def merchant_page_needs_return_url(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """``embedded_page`` and ``elements`` need ``return_url`` unless ``redirect_on_completion`` is ``never``
    (Stripe's answer in stripe-node issue 1944; the SDK's docs). Unverified: the wording."""
    mode = _ui_mode(params)
    if mode is None or mode[0] not in ON_THE_MERCHANTS_PAGE or _given(params, "return_url"):
        return
    if params.get("redirect_on_completion") != "never":
        yield Violation("Missing required param: return_url.", param="return_url", code="parameter_missing")


@rule("create", "guess", needs=("return_url",))
def no_return_url_when_never_redirected(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """``return_url`` with ``redirect_on_completion=never`` is refused (reported in laravel/cashier-stripe#1629);
    and ``return_url`` is for sessions on the merchant's page only. Unverified: both wordings."""
    if not _given(params, "return_url"):
        return
    if params.get("redirect_on_completion") == "never":
        yield Violation(
            "`return_url` cannot be specified when `redirect_on_completion` is `never`.", param="return_url"
        )
        return
    mode = _ui_mode(params)
    if mode is None or mode[0] not in ON_THE_MERCHANTS_PAGE:
        shown = mode[1] if mode is not None else "hosted_page"
        yield Violation(
            f"The following parameters are not supported with 'ui_mode: {shown}': return_url.", param="return_url"
        )


@rule("create", "docs", needs=("permissions",))
def permissions_only_on_the_merchants_page(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """``permissions`` can only be set for ``embedded_page`` and ``elements`` sessions, and
    ``permissions[update_shipping_details]`` for ``elements`` ones only (the SDK's docs). Unverified: the wording."""
    if not _given(params, "permissions"):
        return
    mode = _ui_mode(params)
    shown = mode[1] if mode is not None else "hosted_page"
    if mode is None or mode[0] not in ON_THE_MERCHANTS_PAGE:
        yield Violation(
            f"The following parameters are not supported with 'ui_mode: {shown}': permissions.", param="permissions"
        )
        return
    if mode[0] != "elements":
        for path in ONLY_WITH_ELEMENTS:
            if _dig(params, *path) is not None:
                name = format_param(path)
                yield Violation(
                    f"The following parameters are not supported with 'ui_mode: {shown}': {name}.", param=name
                )


@rule("create", "docs", needs=("redirect_on_completion",))
def redirect_only_on_the_merchants_page(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """``redirect_on_completion`` is for sessions shown on the merchant's page (the SDK's docs: "This parameter
    can only be used" with those modes). Unverified: the wording, that of the other parameters of those modes."""
    mode = _ui_mode(params)
    if _given(params, "redirect_on_completion") and (mode is None or mode[0] not in ON_THE_MERCHANTS_PAGE):
        shown = mode[1] if mode is not None else "hosted_page"
        yield Violation(
            f"The following parameters are not supported with 'ui_mode: {shown}': redirect_on_completion.",
            param="redirect_on_completion",
        )
