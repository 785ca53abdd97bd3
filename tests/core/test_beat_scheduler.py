"""Beat with a fresh schedule file runs every entry at once; a kept file keeps the
times of the last runs."""

from omnistore.celery import app
from omnistore.core.beat import Scheduler


def test_a_fresh_schedule_file_makes_every_entry_due_at_start(tmp_path):
    scheduler = Scheduler(app=app, schedule_filename=str(tmp_path / "schedule"))
    try:
        due = {name for name, entry in scheduler.schedule.items() if entry.is_due()[0]}
    finally:
        scheduler.close()
    assert {
        "orders-expire-pickups",
        "orders-pickup-reminders",
        "drain-outbox",
        "deliver-webhooks",
        "campaigns-send-due",
    } <= due


def test_an_entry_that_ran_is_not_due_again_after_a_restart(tmp_path):
    path = str(tmp_path / "schedule")
    scheduler = Scheduler(app=app, schedule_filename=path)
    entry = scheduler.schedule["orders-expire-pickups"]
    scheduler.schedule["orders-expire-pickups"] = entry._next_instance()  # it ran
    scheduler.sync()
    scheduler.close()

    again = Scheduler(app=app, schedule_filename=path)
    try:
        assert not again.schedule["orders-expire-pickups"].is_due()[0]
    finally:
        again.close()
