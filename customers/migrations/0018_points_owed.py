from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0017_greek_vat_numbers_written_el"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="loyaltytransaction",
            name="loyalty_points_not_zero",
        ),
        migrations.AddField(
            model_name="customer",
            name="points_owed",
            field=models.IntegerField(
                default=0,
                help_text=(
                    "Points taken back after they were spent: paid first from the "
                    "points that come back or are earned next (only while the "
                    "balance is 0)."
                ),
            ),
        ),
        migrations.AddField(
            model_name="loyaltytransaction",
            name="owed",
            field=models.IntegerField(
                default=0,
                help_text=(
                    "Signed change to the points owed: positive when a reversal "
                    "found them spent already, negative when points coming back "
                    "paid them."
                ),
            ),
        ),
        migrations.AlterField(
            model_name="loyaltytransaction",
            name="kind",
            field=models.CharField(
                choices=[
                    ("earn", "Earned"),
                    ("reverse", "Reversed"),
                    ("redeem", "Spent on an order"),
                    ("restore", "Given back from an order"),
                    ("repay", "Paid what was owed"),
                ],
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="customer",
            constraint=models.CheckConstraint(
                condition=models.Q(("points_owed__gte", 0)),
                name="customer_points_owed_gte_0",
            ),
        ),
        migrations.AddConstraint(
            model_name="loyaltytransaction",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("points", 0), _negated=True),
                    models.Q(("owed", 0), _negated=True),
                    _connector="OR",
                ),
                name="loyalty_moves_points_or_owed",
            ),
        ),
    ]
