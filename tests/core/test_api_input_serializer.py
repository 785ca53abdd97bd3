"""Input serializers: each instance validates with fields of its own."""

from rest_framework import serializers

from omnistore.core.api import InputSerializer


class LineInput(InputSerializer):
    variant = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=99, default=1)


class OrderInput(InputSerializer):
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    channel = serializers.ChoiceField(choices=["web", "app"], default="web")
    note = serializers.CharField(max_length=5, required=False)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=3), default=list
    )
    lines = LineInput(many=True)


def test_each_instance_has_its_own_fields_bound_to_it():
    first, second = OrderInput(), OrderInput()
    for name in ("email", "channel", "note", "tags", "lines"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first
        assert second.fields[name].parent is second
        assert first.fields[name] is not OrderInput._declared_fields[name]
    assert first.fields["tags"].child is not second.fields["tags"].child
    assert first.fields["lines"].child is not second.fields["lines"].child
    assert OrderInput._declared_fields["email"].parent is None


def test_limits_defaults_and_errors_hold_for_every_instance_alike():
    bad = OrderInput(
        data={
            "email": "nope",
            "channel": "fax",
            "note": "too long",
            "tags": ["long"],
            "lines": [{"variant": 0}],
        }
    )
    good = OrderInput(data={"lines": [{"variant": 3}]})
    assert not bad.is_valid()
    assert set(bad.errors) == {"email", "channel", "note", "tags", "lines"}
    assert "variant" in bad.errors["lines"][0]
    assert good.is_valid(), good.errors
    assert good.validated_data == {
        "email": "",
        "channel": "web",
        "tags": [],
        "lines": [{"variant": 3, "quantity": 1}],
    }
    again = OrderInput(data={"note": "short", "lines": []})
    assert again.is_valid(), again.errors
    assert again.validated_data["note"] == "short"
    assert not OrderInput(data={"note": "longer", "lines": []}).is_valid()
