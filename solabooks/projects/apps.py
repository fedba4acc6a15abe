from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "solabooks.projects"
    verbose_name = "Projects and time"
