import reflex as rx

def index():
    return rx.text("你好")

app = rx.App()
app.add_page(index)
