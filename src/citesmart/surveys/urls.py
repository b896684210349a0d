from django.urls import path

from citesmart.surveys import views

app_name = "surveys"
urlpatterns = [
    path("encuesta/gracias/", views.thanks, name="thanks"),
    path("encuesta/<str:token>/", views.answer, name="answer"),
    path("resultados/", views.results, name="results"),
    path("resultados.json", views.results_json, name="results_json"),
    path("datos/encuestas/resultados.csv", views.results_csv, name="results_csv"),
    path("admin/encuestas/", views.staff_index, name="staff_index"),
    path("admin/encuestas/olas/<int:pk>/", views.wave_detail, name="wave_detail"),
    path(
        "admin/encuestas/invitaciones/<int:pk>/",
        views.invitation_detail,
        name="invitation_detail",
    ),
    path("admin/encuestas/invitaciones/<int:pk>/papel/", views.paper_form, name="paper_form"),
]
