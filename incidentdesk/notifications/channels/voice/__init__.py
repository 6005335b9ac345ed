"""Voice calls through the configured SMS provider (channels/sms/providers.py): the call says
the words the renderer its topic registered for the `voice` kind wrote, `{"speech"}`. The
address is a phone number in E.164 form, checked as the `sms` kind checks it."""

from incidentdesk.notifications.channels.sms import ProviderChannel
from incidentdesk.notifications.channels.sms.providers import Provider


class VoiceChannel(ProviderChannel):
    kind = "voice"
    word = "speech"

    def reach(self, provider: Provider, number: str, words: str) -> str:
        return provider.call(number, words)
