"""The customers app's models, one module per concern; Django and callers import them
from here (``from customers.models import Customer``)."""

from customers.models.appointments import (
    Appointment,
    AppointmentBlock,
    AppointmentChannel,
    AppointmentHours,
    AppointmentKind,
    AppointmentStaff,
    AppointmentStatus,
    Weekday,
)
from customers.models.browsing import (
    BROWSE_CHANNELS,
    BrowseEvent,
    BrowseKind,
)
from customers.models.client_tasks import (
    ClientTask,
    ClientTaskChange,
    TaskAction,
    TaskKind,
    TaskStatus,
)
from customers.models.consents import (
    Consent,
    ConsentChange,
    ConsentChannel,
    ConsentDecision,
)
from customers.models.loyalty import (
    LoyaltyKind,
    LoyaltyTransaction,
)
from customers.models.merges import (
    CustomerMerge,
    DuplicateCandidate,
    DuplicateStatus,
)
from customers.models.messages import (
    Conversation,
    Message,
    MessageChannel,
    MessageDirection,
)
from customers.models.profile import (
    Address,
    Customer,
    CustomerIdentity,
    IdentityKind,
    name_search_words,
)
from customers.models.sizes import (
    LearnedSize,
)
from customers.models.timeline import (
    CustomerEvent,
    StaffNote,
)
from customers.models.verification import (
    VerificationCode,
    VerificationKind,
    VerificationStatus,
)
from customers.models.wishlists import (
    WISHLIST_DEFAULT_NAME,
    Wishlist,
    WishlistChannel,
    WishlistItem,
    new_share_token,
)
from omnistore.core.channels import Channel

__all__ = [
    "Channel",
    "Address",
    "Customer",
    "CustomerIdentity",
    "IdentityKind",
    "name_search_words",
    "Consent",
    "ConsentChange",
    "ConsentChannel",
    "ConsentDecision",
    "CustomerEvent",
    "StaffNote",
    "CustomerMerge",
    "DuplicateCandidate",
    "DuplicateStatus",
    "LoyaltyKind",
    "LoyaltyTransaction",
    "WISHLIST_DEFAULT_NAME",
    "Wishlist",
    "WishlistChannel",
    "WishlistItem",
    "new_share_token",
    "VerificationCode",
    "VerificationKind",
    "VerificationStatus",
    "Conversation",
    "Message",
    "MessageChannel",
    "MessageDirection",
    "Appointment",
    "AppointmentBlock",
    "AppointmentChannel",
    "AppointmentHours",
    "AppointmentKind",
    "AppointmentStaff",
    "AppointmentStatus",
    "Weekday",
    "BROWSE_CHANNELS",
    "BrowseEvent",
    "BrowseKind",
    "ClientTask",
    "ClientTaskChange",
    "TaskAction",
    "TaskKind",
    "TaskStatus",
    "LearnedSize",
]
