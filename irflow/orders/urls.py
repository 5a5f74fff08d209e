from django.urls import path

from irflow.orders import views

prefix = "orders/"

urlpatterns = [
    path("", views.order_list, name="order-list"),
]
