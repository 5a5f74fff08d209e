import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from irflow.accounts.services import api_token_authenticate

pytestmark = pytest.mark.django_db


def test_create_list_revoke(capsys, attending):
    call_command("api-token", "create", "--user", "attending", "--name", "HL7 engine")
    plain = capsys.readouterr().out.strip().splitlines()[-1]
    assert api_token_authenticate(plain) == attending
    call_command("api-token", "list")
    listing = capsys.readouterr().out
    key_id = plain.split("_")[1]
    assert key_id in listing and "active" in listing
    call_command("api-token", "revoke", key_id)
    assert api_token_authenticate(plain) is None
    with pytest.raises(CommandError, match="No active token"):
        call_command("api-token", "revoke", key_id)
    with pytest.raises(CommandError, match="No user"):
        call_command("api-token", "create", "--user", "nobody", "--name", "x")
