"""The quota policies, for the state administrator alone (the role matrix
gives Subject.POLICY to no other role), with their change history."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from districts.scoped_admin import MatrixAdmin

from .models import Category, Policy, percent_to_basis_points
from .shares import WHOLE


class PolicyForm(forms.ModelForm):
    class Meta:
        model = Policy
        fields = ("name_en", "name_hi", "min_age", "max_age", "starts_on", "ends_on", "active")

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("active") or self.errors:
            return data
        candidate = Policy(**{k: data[k] for k in ("min_age", "max_age", "starts_on", "ends_on")})
        others = Policy.objects.filter(active=True).exclude(pk=self.instance.pk)
        clash = next((other for other in others if candidate.overlaps(other)), None)
        if clash is not None:
            raise ValidationError(
                _(
                    "Another active policy, %(name)s, covers some of the same sessions "
                    "(its dates and ages overlap these): turn it off first."
                )
                % {"name": clash.name}
            )
        return data


class CategoryFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if not self.instance.active or any(self.errors):
            return
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        total = sum(percent_to_basis_points(row["share"]) for row in kept)
        if not kept or total != WHOLE:
            raise ValidationError(
                _("The shares of an active policy add up to 100%% (now %(total)s%%).")
                % {"total": f"{total / 100:g}"}
            )


class CategoryInline(MatrixAdmin, admin.TabularInline):
    model = Category
    formset = CategoryFormSet
    extra = 0
    fields = (
        "position",
        "name_en",
        "name_hi",
        "share",
        "ration_card",
        "occupation",
        "document_en",
        "document_hi",
    )


@admin.register(Policy)
class PolicyAdmin(MatrixAdmin, SimpleHistoryAdmin):
    form = PolicyForm
    inlines = [CategoryInline]
    list_display = ("title", "age_band", "starts_on", "ends_on", "active", "shares")
    list_filter = ("active",)

    @admin.display(description=_("name"))
    def title(self, obj: Policy) -> str:
        return obj.name

    @admin.display(description=_("ages"))
    def age_band(self, obj: Policy) -> str:
        return f"{obj.min_age}+" if obj.max_age is None else f"{obj.min_age}–{obj.max_age}"

    @admin.display(description=_("shares"))
    def shares(self, obj: Policy) -> str:
        return ", ".join(f"{c.name} {c.share.normalize():f}%" for c in obj.categories.all())

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        """A change to the categories is also written in the policy's own
        history (its page shows who changed the shares, when, and to what)."""
        super().save_related(request, form, formsets, change)
        if change and any(formset.has_changed() for formset in formsets):
            policy = form.instance
            shares = ", ".join(
                f"{c.name_en} {c.share.normalize():f}%"
                for c in policy.categories.order_by("position")
            )
            policy._change_reason = f"Categories: {shares}"
            policy.save()

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related("categories")
