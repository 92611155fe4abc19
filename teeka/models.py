from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboundSms(models.Model):
    """The SMS outbox: messages are written in the same transaction as the
    change they report, and sent later, so an outage delays them and loses none."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    to = models.CharField(_("to"), max_length=16)
    text = models.TextField(_("text"))
    kind = models.CharField(_("kind"), max_length=30)
    # Makes writing the same message twice (a task run again) a no-op: see
    # sms_dedupe_key_unique.
    dedupe_key = models.CharField(max_length=100, null=True, blank=True)
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    send_after = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("outbound SMS")
        verbose_name_plural = _("outbound SMS")
        # A constraint rather than unique=True, which on PostgreSQL also
        # builds a second (LIKE) index on the key that no query uses, and
        # every allotment's SMS would pay for it.
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], name="sms_dedupe_key_unique")]
        indexes = [
            models.Index(
                fields=["send_after"],
                condition=models.Q(status="pending"),
                name="sms_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} to ******{self.to[-4:]}"
