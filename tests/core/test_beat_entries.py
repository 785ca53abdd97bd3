"""Every entry of beat's schedule names a task the workers know: a misspelt name
would be sent every interval and dropped by the worker as unregistered."""

from omnistore.celery import app


def test_every_beat_entry_names_a_registered_task(settings):
    app.loader.import_default_modules()  # the apps' tasks modules, as a worker loads them
    unknown = {
        name: entry["task"]
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if entry["task"] not in app.tasks
    }
    assert unknown == {}
    assert "inventory.tasks.sweep_low_stock" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
