from django.core.management import call_command

from enrichhub.checks import server_version_messages


def test_servers_with_the_wrong_anti_join_results_are_refused():
    for version in (160_000, 160_002, 160_003):
        (message,) = server_version_messages(version)
        assert message.id == "enrichhub.E002" and "16.4" in message.hint
    assert server_version_messages(160_004) == []


def test_supported_versions_pass_and_older_ones_are_named():
    assert server_version_messages(150_018) == server_version_messages(180_006) == []
    (too_old,) = server_version_messages(140_011)
    assert too_old.id == "enrichhub.E001" and "14.11" in too_old.msg


def test_the_check_passes_on_the_server_the_tests_run_on(db):
    call_command("check", databases=["default"])  # raises SystemCheckError on an error
