from django.urls import path

from incidentdesk.notifications import views

# Included under /notifications/.
urlpatterns = [
    path("deliveries", views.delivery_list, name="notification_deliveries"),
    path("deliveries/<int:pk>/retry", views.delivery_retry, name="delivery_retry"),
    path("deliveries/retry-failed", views.delivery_retry_failed, name="delivery_retry_failed"),
    path("subscribers", views.subscriber_list, name="notification_subscribers"),
    path("subscribers/import", views.subscriber_import, name="subscriber_import"),
    path("subscribers/<int:pk>/remove", views.subscriber_remove, name="subscriber_remove"),
]
