"""Which sign-in buttons to show: a provider appears only when its keys are set."""

import reflex as rx

from palett.services.accounts.oauth_links import enabled_providers
from palett.settings import get_settings


class ProviderState(rx.State):
    google: bool = False
    github: bool = False

    @rx.event
    def read(self) -> None:
        enabled = enabled_providers(get_settings())
        self.google = "google" in enabled
        self.github = "github" in enabled
