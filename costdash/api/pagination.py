"""Every list is paged: ?page=N (from 1) and ?page_size= (default 50, at most 500)."""
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
