"""What the recovery domain registers with the lower domains' registries (docs/architecture.md):
each door adds its line here as it lands."""


def register() -> None:
    return None
