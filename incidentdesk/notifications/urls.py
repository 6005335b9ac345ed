from django.urls import path

from incidentdesk.notifications import views

# Included under /notifications/.
urlpatterns = [
    path("deliveries", views.delivery_list, name="notification_deliveries"),
    path("deliveries/<int:pk>/retry", views.delivery_retry, name="delivery_retry"),
    path("deliveries/retry-failed", views.delivery_retry_failed, name="delivery_retry_failed"),
]
