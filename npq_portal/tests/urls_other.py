"""A URLconf of one page, for the test that changing ROOT_URLCONF empties the kept addresses."""

from django.http import HttpResponse
from django.urls import path

urlpatterns = [path("elsewhere/<int:pk>/", lambda request, pk: HttpResponse(), name="other-page")]
