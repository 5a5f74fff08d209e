from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "irflow.referrals"
    label = "referrals"
