print("annctl")
