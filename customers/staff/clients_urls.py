"""The client book's staff pages: /staff/clients/ (my clients) and the tasks."""

from django.urls import path

from . import clientbook, tasks

urlpatterns = [
    path("", clientbook.my_clients, name="my_clients"),
    path("tasks/", tasks.task_page, name="client_tasks"),
    path("tasks/<int:pk>/done/", tasks.task_done, name="client_task_done"),
    path("tasks/<int:pk>/snooze/", tasks.task_snooze, name="client_task_snooze"),
    path("tasks/<int:pk>/reassign/", tasks.task_reassign, name="client_task_reassign"),
]
