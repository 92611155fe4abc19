from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboundSms(models.Model):
    """The SMS outbox: messages are written in the same transaction as the
    change they report, and sent later, so an outage delays them and loses none."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        # Not delivered before it stopped being of use (teeka.outbox.EXPIRY).
        EXPIRED = "expired", _("Expired, not delivered")

    class Priority(models.IntegerChoices):
        """Who goes first when many wait: lower goes first."""

        AT_ONCE = 0, _("At once (sign-in code)")
        CHANGE = 1, _("A change (cancellation, new slot, help desk)")
        ALLOTMENT = 2, _("Allotment")

    to = models.CharField(_("to"), max_length=16)
    text = models.TextField(_("text"))
    kind = models.CharField(_("kind"), max_length=30)
    # Makes writing the same message twice (a task run again) a no-op: see
    # sms_dedupe_key_unique.
    dedupe_key = models.CharField(max_length=100, null=True, blank=True)
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.PENDING)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.CHANGE
    )
    created_at = models.DateTimeField(default=timezone.now)
    # When it is due; a sender claiming it moves this on by a lease, so a
    # sender that dies leaves the message due again, not stuck.
    send_after = models.DateTimeField(default=timezone.now)
    # No use after this (a code after its 5 minutes, a slot notice once the
    # session starts): then it is marked expired instead of sent.
    expires_at = models.DateTimeField(_("of use until"), null=True, blank=True)
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
            # The senders' walk: most urgent first, then oldest due.
            models.Index(
                fields=["priority", "send_after", "id"],
                condition=models.Q(status="pending"),
                name="sms_pending_by_priority",
            ),
            # Officials' list and the counts of what never arrived: small.
            models.Index(
                fields=["created_at"],
                condition=models.Q(status="expired"),
                name="sms_expired",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to ******{self.to[-4:]}"
