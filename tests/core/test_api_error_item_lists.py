"""The API's errors name an item of a list at its place in a list, as long as the
list sent (up to the last item at fault when the body was not read), at any depth;
a dict the request sent, and a refusal's details keyed by ids, keep their keys."""

from omnistore.core.api import listed_item_errors


def test_items_named_by_index_become_a_list_as_long_as_the_one_sent():
    sent = {"lines": [{"variant": 1}, {"variant": "x"}, {"variant": 3}]}
    errors = {"lines": {1: {"variant": ["A valid integer is required."]}}}

    assert listed_item_errors(errors, sent) == {
        "lines": [{}, {"variant": ["A valid integer is required."]}, {}]
    }


def test_without_the_request_the_list_ends_at_the_last_item_at_fault():
    errors = {"tenders": {"2": {"non_field_errors": ["Refused."]}}}

    assert listed_item_errors(errors) == {
        "tenders": [{}, {}, {"non_field_errors": ["Refused."]}]
    }


def test_lists_within_items_are_lists_too():
    sent = {"returns": [{"lines": [{"id": 1}, {"id": 2}]}]}
    errors = {"returns": {0: {"lines": {"1": {"id": ["Unknown."]}}}}}

    assert listed_item_errors(errors, sent) == {
        "returns": [{"lines": [{}, {"id": ["Unknown."]}]}]
    }


def test_a_dict_the_request_sent_keeps_its_keys():
    sent = {"prices": {"524": "10.00", "17": "x"}}
    errors = {"prices": {"17": ["A valid number is required."]}}

    assert listed_item_errors(errors, sent) == errors


def test_field_names_and_messages_are_left_as_they_are():
    errors = {"email": ["Enter a valid email address."], "non_field_errors": ["No."]}

    assert listed_item_errors(errors, {"email": "x"}) == errors


def test_details_keyed_by_ids_keep_their_keys():
    errors = {"lines": ["At most 2 can be returned."], "returnable": {"17": 2}}

    assert listed_item_errors(errors, {"order": "OS-1", "lines": [{}]}) == errors
    assert listed_item_errors(errors) == errors
